package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** Average pooling and nearest / bilinear (align_corners=false) resampling with their adjoints (resample.cu). */
final class CudaResample {
    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaResample(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    private Tensor input(Tensor x, String op) {
        CudaKernels.requireCompute(x.dtype(), op);
        if (x.rank() != 4) throw new IllegalArgumentException(op + " expects [N, C, H, W], got " + java.util.Arrays.toString(x.shape()));
        return backend.contiguous(backend.onThisDevice(x, op));
    }

    private static TensorPointer ptr(Tensor t) { return CudaBackend.ptr(t); }

    private String fn(String name, Tensor t) { return name + "_" + CudaKernels.suffix(t.dtype()); }

    Tensor avgPool2d(Tensor x, int k, int s) {
        Tensor c = input(x, "avgPool2d");
        int[] xs = c.shape();
        int oh = (xs[2] - k) / s + 1, ow = (xs[3] - k) / s + 1;
        Tensor y = backend.alloc(new int[] {xs[0], xs[1], oh, ow}, c.dtype());
        kernels.launch(kernels.get("resample", fn("avgpool_fwd", c)), y.numel(), ptr(c), ptr(y), xs[0] * xs[1], xs[2], xs[3], oh, ow, k, s);
        return y;
    }

    Tensor avgPool2dBackward(Tensor gy, int[] xs, int k, int s) {
        Tensor g = input(gy, "avgPool2dBackward");
        Tensor dx = backend.alloc(xs.clone(), g.dtype());
        kernels.launch(kernels.get("resample", fn("avgpool_bwd", g)), dx.numel(), ptr(g), ptr(dx), xs[0] * xs[1], xs[2], xs[3],
                g.shape(2), g.shape(3), k, s);
        return dx;
    }

    Tensor upsampleNearest2d(Tensor x, int f) {
        Tensor c = input(x, "upsampleNearest2d");
        int[] xs = c.shape();
        Tensor y = backend.alloc(new int[] {xs[0], xs[1], xs[2] * f, xs[3] * f}, c.dtype());
        kernels.launch(kernels.get("resample", fn("nearest_fwd", c)), c.numel(), ptr(c), ptr(y), xs[0] * xs[1], xs[2], xs[3], f);
        return y;
    }

    Tensor upsampleNearest2dBackward(Tensor gy, int f) {
        Tensor g = input(gy, "upsampleNearest2dBackward");
        int[] ys = g.shape();
        Tensor dx = backend.alloc(new int[] {ys[0], ys[1], ys[2] / f, ys[3] / f}, g.dtype());
        kernels.launch(kernels.get("resample", fn("nearest_bwd", g)), dx.numel(), ptr(g), ptr(dx), ys[0] * ys[1], ys[2] / f, ys[3] / f, f);
        return dx;
    }

    /** Nearest upsampling of channels-last x [N, H, W, C] by f. */
    Tensor upsampleNearest2dChannelsLast(Tensor x, int f) {
        Tensor c = input(x, "upsampleNearest2d");
        int[] xs = c.shape();
        Tensor y = backend.alloc(new int[] {xs[0], xs[1] * f, xs[2] * f, xs[3]}, c.dtype());
        launchNearestChannelsLast("nearest_cl_fwd", c, y, xs, f);
        return y;
    }

    /** The adjoint of {@link #upsampleNearest2dChannelsLast}: gy [N, H*f, W*f, C] summed over each f x f block. */
    Tensor upsampleNearest2dChannelsLastBackward(Tensor gy, int f) {
        Tensor g = input(gy, "upsampleNearest2dBackward");
        int[] ys = g.shape();
        int[] xs = {ys[0], ys[1] / f, ys[2] / f, ys[3]};
        Tensor dx = backend.alloc(xs, g.dtype());
        launchNearestChannelsLast("nearest_cl_bwd", g, dx, xs, f);
        return dx;
    }

    /** One thread per input pixel and 16-byte vector of channels where the channels hold whole vectors, else per channel. */
    private void launchNearestChannelsLast(String name, Tensor from, Tensor to, int[] xs, int f) {
        int pixels = xs[0] * xs[1] * xs[2], v = 16 / from.dtype().byteSize();
        boolean vec = xs[3] % v == 0 && CudaBackend.ptr(from).deviceAddress() % 16 == 0 && CudaBackend.ptr(to).deviceAddress() % 16 == 0;
        kernels.launch(kernels.get("resample", fn(name, from)), (long) pixels * (vec ? xs[3] / v : xs[3]), ptr(from), ptr(to), pixels, xs[2], xs[3], f, vec ? 1 : 0);
    }

    Tensor upsampleBilinear2d(Tensor x, int oh, int ow) {
        Tensor c = input(x, "upsampleBilinear2d");
        int[] xs = c.shape();
        Tensor y = backend.alloc(new int[] {xs[0], xs[1], oh, ow}, c.dtype());
        kernels.launch(kernels.get("resample", fn("bilinear_fwd", c)), y.numel(), ptr(c), ptr(y), xs[0] * xs[1], xs[2], xs[3], oh, ow);
        return y;
    }

    Tensor upsampleBilinear2dBackward(Tensor gy, int[] xs) {
        Tensor g = input(gy, "upsampleBilinear2dBackward");
        DType accType = g.dtype() == DType.BF16 ? DType.F32 : g.dtype();
        Tensor acc = backend.full(xs.clone(), accType, 0);
        kernels.launch(kernels.get("resample", fn("bilinear_bwd", g)), g.numel(), ptr(g), ptr(acc), xs[0] * xs[1], xs[2], xs[3],
                g.shape(2), g.shape(3));
        return accType == g.dtype() ? acc : backend.cast(acc, g.dtype());
    }

    /**
     * y += bias per channel (+ residual, when not null), in place (y is a fresh contiguous convolution output; the
     * residual contiguous, of y's shape and dtype).
     */
    void addBias(Tensor y, Tensor bias, Tensor residual) {
        int[] ys = y.shape();
        addBias(y, bias, residual, ys[1], ys[2] * ys[3]);
    }

    /** As {@link #addBias} on a channels-last y [N, H, W, C]: the channel is the innermost dim. */
    void addBiasChannelsLast(Tensor y, Tensor bias, Tensor residual) { addBias(y, bias, residual, y.shape(3), 1); }

    private void addBias(Tensor y, Tensor bias, Tensor residual, int channels, int plane) {
        Tensor b = backend.contiguous(backend.onThisDevice(bias, "conv2d bias"));
        if (b.dtype() != y.dtype()) b = backend.cast(b, y.dtype());
        kernels.launch(kernels.get("resample", fn("bias_add", y)), y.numel(), ptr(y), ptr(b), residual == null ? (Object) 0L : ptr(residual),
                channels, plane, (int) y.numel());
    }
}
