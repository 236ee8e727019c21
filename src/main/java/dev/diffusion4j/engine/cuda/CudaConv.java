package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * conv2d and its two gradients through cuDNN. One {@link Convolution2d} (descriptors and the
 * chosen engine or algorithm per direction) is kept per geometry and precision, so a training loop plans each
 * layer once. f32 runs strict FP32 unless TF32 is allowed; bf16 stores bf16 and accumulates in f32.
 */
final class CudaConv implements AutoCloseable {
    private record Key(ConvGeometry geometry, Convolution2d.Precision precision, boolean channelsLast) {}

    private final CudaBackend backend;
    private final Cudnn cudnn;
    private final CudaResample resample;
    // Which plans time cuDNN's candidate engines on a geometry's first call (as torch.backends.cudnn.benchmark = True)
    // instead of taking the heuristics' first. Measured on an H200 (cuDNN 9.19, 2026-12-04, two runs each): timing all
    // plans ("true", the default) against timing backward plans only ("backward") gave TF32 sampling forwards at batch
    // 256 of 21,358/21,450 vs 20,495/20,454 img*NFE/s on fmnist-small and 8,963/8,937 vs 8,457/8,452 on ddpm-cifar10,
    // and training steps as fast or faster. -Ddiffusion4j.cudnn.benchmark=true|false|backward|fp32.
    private final String benchmark = System.getProperty("diffusion4j.cudnn.benchmark", "true");
    // The graph API for TF32 and BF16: the legacy calls cost 130-400 us of host time each (H200, cuDNN 9.14), enough to
    // leave the GPU idle. Strict FP32 keeps the legacy API: its kernels are long enough to hide that, and cudnnFind's
    // exhaustive search made ddpm-cifar10 FP32 steps 1.44x faster than the graph API's timed candidates (1,393 against
    // 967 img/s, same H200 and cuDNN 9.19, 2026-12-04). -Ddiffusion4j.cudnn.api=auto|graph|legacy.
    private final String api = System.getProperty("diffusion4j.cudnn.api", "auto");
    private final Map<Key, Convolution2d> plans = new ConcurrentHashMap<>();

    CudaConv(CudaBackend backend, Cudnn cudnn, CudaResample resample) {
        this.backend = backend;
        this.cudnn = cudnn;
        this.resample = resample;
    }

    /** The plan for input dims xs [N, C, H, W] (also for channels-last, whose memory is [N, H, W, C]) and weight ws. */
    private Convolution2d plan(int[] xs, int[] ws, Conv2dParams p, DType dtype, boolean channelsLast) {
        Convolution2d.Precision precision = switch (dtype) {
            case F32 -> backend.allowTf32() ? Convolution2d.Precision.TF32 : Convolution2d.Precision.FP32;
            case BF16 -> Convolution2d.Precision.BF16;
            default -> throw new IllegalArgumentException("conv2d on CUDA computes in f32 or bf16, not " + dtype.id()
                    + " (f64 gradient checks run on the CPU); convert with .to(DType.F32)");
        };
        ConvGeometry g = new ConvGeometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.padH(), p.padW(),
                p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), p.groups());
        return plans.computeIfAbsent(new Key(g, precision, channelsLast), k -> {
            boolean fp32 = k.precision() == Convolution2d.Precision.FP32;
            Set<CudnnApi.Direction> timed = switch (benchmark) {
                case "true" -> EnumSet.allOf(CudnnApi.Direction.class);
                case "false" -> EnumSet.noneOf(CudnnApi.Direction.class);
                case "fp32" -> fp32 ? EnumSet.allOf(CudnnApi.Direction.class) : EnumSet.noneOf(CudnnApi.Direction.class);
                case "backward" -> fp32 ? EnumSet.allOf(CudnnApi.Direction.class)
                        : EnumSet.of(CudnnApi.Direction.BACKWARD_DATA, CudnnApi.Direction.BACKWARD_FILTER);
                default -> throw new IllegalArgumentException("-Ddiffusion4j.cudnn.benchmark must be true, false, backward or fp32, not " + benchmark);
            };
            boolean legacy = switch (api) {
                case "legacy" -> true;
                case "graph" -> false;
                case "auto" -> fp32 && !k.channelsLast();   // the legacy API's NHWC choice for FP32 is thin
                default -> throw new IllegalArgumentException("-Ddiffusion4j.cudnn.api must be auto, graph or legacy, not " + api);
            };
            // the legacy API picks one algorithm per geometry for all directions: it times all or none
            return legacy ? new CudnnConvolution(cudnn, k.geometry(), k.precision(), timed.equals(EnumSet.allOf(CudnnApi.Direction.class)), k.channelsLast())
                    : new CudnnGraphConvolution(cudnn, k.geometry(), k.precision(), timed, k.channelsLast());
        });
    }

    private Tensor input(Tensor t, DType dtype, String op) {
        Tensor c = backend.onThisDevice(t, op);
        if (c.dtype() != dtype) throw new IllegalArgumentException(op + ": dtypes " + dtype.id() + " and " + c.dtype().id() + " differ");
        return backend.contiguous(c);
    }

    private static long ptr(Tensor t) { return CudaBackend.ptr(t).deviceAddress(); }

    Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return conv2d(x, w, bias, p, null, false); }

    // Each direction serves both layouts: channels-first, or (last) channels-last x, y and their gradients [N, H, W, C]
    // with the filter and its gradient KRSC [K, R, S, C]. The plans are keyed and the shapes checked in NCHW / KCRS dims.

    /** Dims of a [N, H, W, C] (or [K, R, S, C]) memory shape in NCHW (KCRS) order; a channels-first shape as it is. */
    private static int[] dims(int[] shape, boolean last) { return last ? new int[] {shape[0], shape[3], shape[1], shape[2]} : shape; }

    /** The memory shape of NCHW dims: [N, H, W, C] when last. */
    private static int[] memory(int[] nchw, boolean last) { return last ? new int[] {nchw[0], nchw[2], nchw[3], nchw[1]} : nchw; }

    /**
     * conv2d(x, w) + bias + residual (null: none; else of the output's shape and dtype), the bias and the residual added
     * in one pass; without a bias the residual takes its own add. Channels-last, the bias may also be [N, C], per sample.
     */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual, boolean last) {
        int[] ys = memory(p.outputShape(dims(x.shape(), last), dims(w.shape(), last)), last);
        Tensor xc = input(x, x.dtype(), "conv2d"), wc = input(w, x.dtype(), "conv2d");
        Convolution2d conv = plan(dims(xc.shape(), last), dims(wc.shape(), last), p, x.dtype(), last);
        Tensor y = backend.alloc(ys, x.dtype());
        conv.forward(ptr(xc), ptr(wc), ptr(y));
        Reference.reachabilityFence(xc); // the library call took raw addresses: keep the storages until it is queued
        Reference.reachabilityFence(wc);
        checkResidual(residual, y, ys);
        if (bias == null) return residual == null ? y : backend.binary(dev.diffusion4j.engine.BinaryOp.ADD, y, residual);
        Tensor r = residual == null ? null : backend.contiguous(backend.onThisDevice(residual, "conv2d residual"));
        if (last) resample.addBiasChannelsLast(y, bias, r);
        else resample.addBias(y, bias, r);
        return y;
    }

    Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p, boolean last) {
        Tensor g = input(gy, gy.dtype(), "conv2dBackwardInput"), wc = input(w, gy.dtype(), "conv2dBackwardInput");
        checkOutput(memory(p.outputShape(dims(xShape, last), dims(wc.shape(), last)), last), g.shape(), "conv2dBackwardInput");
        Convolution2d conv = plan(dims(xShape, last), dims(wc.shape(), last), p, gy.dtype(), last);
        Tensor dx = backend.alloc(xShape.clone(), gy.dtype());
        conv.backwardData(ptr(wc), ptr(g), ptr(dx));
        Reference.reachabilityFence(wc);
        Reference.reachabilityFence(g);
        return dx;
    }

    Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p, boolean last) {
        Tensor xc = input(x, x.dtype(), "conv2dBackwardWeight"), g = input(gy, x.dtype(), "conv2dBackwardWeight");
        checkOutput(memory(p.outputShape(dims(xc.shape(), last), dims(wShape, last)), last), g.shape(), "conv2dBackwardWeight");
        Convolution2d conv = plan(dims(xc.shape(), last), dims(wShape, last), p, x.dtype(), last);
        Tensor dw = backend.alloc(wShape.clone(), x.dtype());
        conv.backwardFilter(ptr(xc), ptr(g), ptr(dw), false);
        Reference.reachabilityFence(xc);
        Reference.reachabilityFence(g);
        return dw;
    }

    private static void checkResidual(Tensor residual, Tensor y, int[] ys) {
        if (residual != null && (residual.dtype() != y.dtype() || !Arrays.equals(residual.shape(), ys)))
            throw new IllegalArgumentException("conv2d residual " + residual.dtype().id() + " " + Arrays.toString(residual.shape())
                    + " does not match the output " + y.dtype().id() + " " + Arrays.toString(ys));
    }

    private static void checkOutput(int[] expected, int[] got, String op) {
        if (!Arrays.equals(expected, got))
            throw new IllegalArgumentException(op + ": output gradient " + Arrays.toString(got) + " does not match the convolution's output " + Arrays.toString(expected));
    }

    @Override public void close() {
        plans.values().forEach(Convolution2d::close);
        plans.clear();
    }
}
