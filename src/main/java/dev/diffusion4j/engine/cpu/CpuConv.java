package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** Adapts the backend's convolution, pooling and resampling calls to the array kernels in CpuConv2d and CpuPool. */
final class CpuConv {
    private CpuConv() {}

    private static ConvGeometry geometry(int[] x, int[] w, Conv2dParams p) {
        return new ConvGeometry(x[0], x[1], x[2], x[3], w[0], w[2], w[3], p.strideH(), p.strideW(), p.padH(), p.padW(),
                p.dilationH(), p.dilationW(), p.groups());
    }

    private static Tensor c(Tensor t) { return CpuElementwise.contiguous(t); }

    /** The array of a contiguous tensor, copied when it is a view that does not start at 0. */
    private static Object arr(Tensor t) {
        Tensor x = c(t);
        return x.offset() == 0 && x.storage().length() == x.numel() ? CpuElementwise.st(x).array() : CpuBackend.INSTANCE.toArray(x);
    }

    private static boolean f32(Tensor t) {
        CpuElementwise.requireFloat(t, "convolution");
        return t.dtype() == DType.F32;
    }

    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        ConvGeometry g = geometry(x.shape(), w.shape(), p);
        Tensor y = CpuElementwise.alloc(new int[] {g.n(), g.cOut(), g.outH(), g.outW()}, x.dtype());
        if (f32(x)) CpuConv2d.forward(g, (float[]) arr(x), (float[]) arr(w), bias == null ? null : (float[]) arr(bias), CpuElementwise.st(y).f32());
        else CpuConv2d.forward(g, (double[]) arr(x), (double[]) arr(w), bias == null ? null : (double[]) arr(bias), CpuElementwise.st(y).f64());
        return y;
    }

    static Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p) {
        ConvGeometry g = geometry(xShape, w.shape(), p);
        Tensor gx = CpuElementwise.alloc(xShape.clone(), gy.dtype());
        if (f32(gy)) CpuConv2d.backwardData(g, (float[]) arr(gy), (float[]) arr(w), CpuElementwise.st(gx).f32());
        else CpuConv2d.backwardData(g, (double[]) arr(gy), (double[]) arr(w), CpuElementwise.st(gx).f64());
        return gx;
    }

    static Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p) {
        ConvGeometry g = geometry(x.shape(), wShape, p);
        Tensor gw = CpuElementwise.alloc(wShape.clone(), x.dtype());
        if (f32(x)) CpuConv2d.backwardWeight(g, (float[]) arr(x), (float[]) arr(gy), CpuElementwise.st(gw).f32());
        else CpuConv2d.backwardWeight(g, (double[]) arr(x), (double[]) arr(gy), CpuElementwise.st(gw).f64());
        return gw;
    }

    static Tensor avgPool2d(Tensor x, int k, int s) {
        int[] xs = x.shape();
        CpuPool.AvgPool p = CpuPool.AvgPool.of(xs[0], xs[1], xs[2], xs[3], k, s);
        Tensor y = CpuElementwise.alloc(new int[] {xs[0], xs[1], p.outH(), p.outW()}, x.dtype());
        if (f32(x)) CpuPool.avgPoolForward(p, (float[]) arr(x), CpuElementwise.st(y).f32());
        else CpuPool.avgPoolForward(p, (double[]) arr(x), CpuElementwise.st(y).f64());
        return y;
    }

    static Tensor avgPool2dBackward(Tensor gy, int[] xs, int k, int s) {
        CpuPool.AvgPool p = CpuPool.AvgPool.of(xs[0], xs[1], xs[2], xs[3], k, s);
        Tensor gx = CpuElementwise.alloc(xs.clone(), gy.dtype());
        if (f32(gy)) CpuPool.avgPoolBackward(p, (float[]) arr(gy), CpuElementwise.st(gx).f32());
        else CpuPool.avgPoolBackward(p, (double[]) arr(gy), CpuElementwise.st(gx).f64());
        return gx;
    }

    static Tensor upsampleNearest(Tensor x, int f) {
        int[] s = x.shape();
        Tensor y = CpuElementwise.alloc(new int[] {s[0], s[1], s[2] * f, s[3] * f}, x.dtype());
        if (f32(x)) CpuPool.upsampleNearestForward(s[0] * s[1], s[2], s[3], f, f, (float[]) arr(x), CpuElementwise.st(y).f32());
        else CpuPool.upsampleNearestForward(s[0] * s[1], s[2], s[3], f, f, (double[]) arr(x), CpuElementwise.st(y).f64());
        return y;
    }

    static Tensor upsampleNearestBackward(Tensor gy, int f) {
        int[] s = gy.shape();
        int h = s[2] / f, w = s[3] / f;
        Tensor gx = CpuElementwise.alloc(new int[] {s[0], s[1], h, w}, gy.dtype());
        if (f32(gy)) CpuPool.upsampleNearestBackward(s[0] * s[1], h, w, f, f, (float[]) arr(gy), CpuElementwise.st(gx).f32());
        else CpuPool.upsampleNearestBackward(s[0] * s[1], h, w, f, f, (double[]) arr(gy), CpuElementwise.st(gx).f64());
        return gx;
    }

    static Tensor upsampleBilinear(Tensor x, int oh, int ow) {
        int[] s = x.shape();
        Tensor y = CpuElementwise.alloc(new int[] {s[0], s[1], oh, ow}, x.dtype());
        if (f32(x)) CpuPool.bilinearForward(s[0] * s[1], s[2], s[3], oh, ow, (float[]) arr(x), CpuElementwise.st(y).f32());
        else CpuPool.bilinearForward(s[0] * s[1], s[2], s[3], oh, ow, (double[]) arr(x), CpuElementwise.st(y).f64());
        return y;
    }

    static Tensor upsampleBilinearBackward(Tensor gy, int[] xs) {
        int[] s = gy.shape();
        Tensor gx = CpuElementwise.alloc(xs.clone(), gy.dtype());
        if (f32(gy)) CpuPool.bilinearBackward(s[0] * s[1], xs[2], xs[3], s[2], s[3], (float[]) arr(gy), CpuElementwise.st(gx).f32());
        else CpuPool.bilinearBackward(s[0] * s[1], xs[2], xs[3], s[2], s[3], (double[]) arr(gy), CpuElementwise.st(gx).f64());
        return gx;
    }
}
