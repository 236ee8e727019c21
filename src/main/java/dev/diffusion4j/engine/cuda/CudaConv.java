package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * conv2d and its two gradients through cuDNN. One {@link CudnnConvolution} (descriptors and the
 * chosen algorithm per direction) is kept per geometry and precision, so a training loop plans each
 * layer once. f32 runs strict FP32 unless TF32 is allowed; bf16 stores bf16 and accumulates in f32.
 */
final class CudaConv implements AutoCloseable {
    private record Key(ConvGeometry geometry, Convolution2d.Precision precision) {}

    private final CudaBackend backend;
    private final Cudnn cudnn;
    private final CudaResample resample;
    // Which precisions time cuDNN's algorithms on a geometry's first call (cudnnFind, as torch.backends.cudnn.benchmark)
    // instead of taking the heuristics' pick. Measured on an H200: in strict FP32 the heuristics' picks made training
    // steps 30% (fmnist-small) to 50% (ddpm-cifar10) slower; in TF32 and BF16 they were as fast or faster than the timed
    // picks. -Ddiffusion4j.cudnn.benchmark=true|false sets it for all precisions.
    private final String benchmark = System.getProperty("diffusion4j.cudnn.benchmark", "fp32");
    private final Map<Key, CudnnConvolution> plans = new ConcurrentHashMap<>();

    CudaConv(CudaBackend backend, Cudnn cudnn, CudaResample resample) {
        this.backend = backend;
        this.cudnn = cudnn;
        this.resample = resample;
    }

    private CudnnConvolution plan(int[] xs, int[] ws, Conv2dParams p, DType dtype) {
        Convolution2d.Precision precision = switch (dtype) {
            case F32 -> backend.allowTf32() ? Convolution2d.Precision.TF32 : Convolution2d.Precision.FP32;
            case BF16 -> Convolution2d.Precision.BF16;
            default -> throw new IllegalArgumentException("conv2d on CUDA computes in f32 or bf16, not " + dtype.id()
                    + " (f64 gradient checks run on the CPU); convert with .to(DType.F32)");
        };
        ConvGeometry g = new ConvGeometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.padH(), p.padW(),
                p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), p.groups());
        return plans.computeIfAbsent(new Key(g, precision), k -> new CudnnConvolution(cudnn, k.geometry(), k.precision(),
                benchmark.equals("true") || (benchmark.equals("fp32") && k.precision() == Convolution2d.Precision.FP32)));
    }

    private Tensor input(Tensor t, DType dtype, String op) {
        Tensor c = backend.onThisDevice(t, op);
        if (c.dtype() != dtype) throw new IllegalArgumentException(op + ": dtypes " + dtype.id() + " and " + c.dtype().id() + " differ");
        return backend.contiguous(c);
    }

    private static long ptr(Tensor t) { return CudaBackend.ptr(t).deviceAddress(); }

    Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        int[] ys = p.outputShape(x.shape(), w.shape());
        Tensor xc = input(x, x.dtype(), "conv2d"), wc = input(w, x.dtype(), "conv2d");
        CudnnConvolution conv = plan(xc.shape(), wc.shape(), p, x.dtype());
        Tensor y = backend.alloc(ys, x.dtype());
        conv.forward(ptr(xc), ptr(wc), ptr(y));
        Reference.reachabilityFence(xc); // the library call took raw addresses: keep the storages until it is queued
        Reference.reachabilityFence(wc);
        if (bias != null) resample.addBias(y, bias);
        return y;
    }

    Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p) {
        Tensor g = input(gy, gy.dtype(), "conv2dBackwardInput"), wc = input(w, gy.dtype(), "conv2dBackwardInput");
        checkOutput(p.outputShape(xShape, wc.shape()), g.shape(), "conv2dBackwardInput");
        CudnnConvolution conv = plan(xShape, wc.shape(), p, gy.dtype());
        Tensor dx = backend.alloc(xShape.clone(), gy.dtype());
        conv.backwardData(ptr(wc), ptr(g), ptr(dx));
        Reference.reachabilityFence(wc);
        Reference.reachabilityFence(g);
        return dx;
    }

    Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p) {
        Tensor xc = input(x, x.dtype(), "conv2dBackwardWeight"), g = input(gy, x.dtype(), "conv2dBackwardWeight");
        checkOutput(p.outputShape(xc.shape(), wShape), g.shape(), "conv2dBackwardWeight");
        CudnnConvolution conv = plan(xc.shape(), wShape, p, x.dtype());
        Tensor dw = backend.alloc(wShape.clone(), x.dtype());
        conv.backwardFilter(ptr(xc), ptr(g), ptr(dw), false);
        Reference.reachabilityFence(xc);
        Reference.reachabilityFence(g);
        return dw;
    }

    private static void checkOutput(int[] expected, int[] got, String op) {
        if (!Arrays.equals(expected, got))
            throw new IllegalArgumentException(op + ": output gradient " + Arrays.toString(got) + " does not match the convolution's output " + Arrays.toString(expected));
    }

    @Override public void close() {
        plans.values().forEach(CudnnConvolution::close);
        plans.clear();
    }
}
