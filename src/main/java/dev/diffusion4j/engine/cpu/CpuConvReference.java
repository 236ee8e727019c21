package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** Direct-loop convolution, pooling and resampling in f64: simple enough to be obviously right. */
final class CpuConvReference {
    private CpuConvReference() {}

    static double[] f64(Tensor t) { return (double[]) CpuBackend.INSTANCE.toArray(CpuElementwise.cast(t, DType.F64)); }

    static Tensor out(double[] v, int[] shape, DType dtype) {
        Tensor t = CpuBackend.INSTANCE.fromArray(v, shape, DType.F64);
        return dtype == DType.F64 ? t : CpuElementwise.cast(t, dtype);
    }

    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        int[] xs = x.shape(), ws = w.shape(), ys = p.outputShape(xs, ws);
        double[] X = f64(x), W = f64(w), B = bias == null ? null : f64(bias), Y = new double[ys[0] * ys[1] * ys[2] * ys[3]];
        int cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], kh = ws[2], kw = ws[3], cg = ws[1], og = cout / p.groups();
        Parallel.forRange(ys[0] * cout, 1, (lo, hi) -> {
            for (int no = lo; no < hi; no++) {
                int n = no / cout, o = no % cout, g = o / og;
                for (int oy = 0; oy < ys[2]; oy++)
                    for (int ox = 0; ox < ys[3]; ox++) {
                        double s = B == null ? 0 : B[o];
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < kh; i++) {
                                int iy = oy * p.strideH() - p.padH() + i * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int j = 0; j < kw; j++) {
                                    int ix = ox * p.strideW() - p.padW() + j * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    s += X[((n * cin + g * cg + c) * h + iy) * wd + ix] * W[((o * cg + c) * kh + i) * kw + j];
                                }
                            }
                        Y[((n * cout + o) * ys[2] + oy) * ys[3] + ox] = s;
                    }
            }
        });
        return out(Y, ys, x.dtype());
    }

    static Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xs, Conv2dParams p) {
        int[] ws = w.shape(), ys = gy.shape();
        double[] G = f64(gy), W = f64(w), DX = new double[xs[0] * xs[1] * xs[2] * xs[3]];
        int cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], kh = ws[2], kw = ws[3], cg = ws[1], og = cout / p.groups();
        Parallel.forRange(xs[0], 1, (lo, hi) -> {
            for (int n = lo; n < hi; n++)
                for (int o = 0; o < cout; o++) {
                    int g = o / og;
                    for (int oy = 0; oy < ys[2]; oy++)
                        for (int ox = 0; ox < ys[3]; ox++) {
                            double gv = G[((n * cout + o) * ys[2] + oy) * ys[3] + ox];
                            for (int c = 0; c < cg; c++)
                                for (int i = 0; i < kh; i++) {
                                    int iy = oy * p.strideH() - p.padH() + i * p.dilationH();
                                    if (iy < 0 || iy >= h) continue;
                                    for (int j = 0; j < kw; j++) {
                                        int ix = ox * p.strideW() - p.padW() + j * p.dilationW();
                                        if (ix < 0 || ix >= wd) continue;
                                        DX[((n * cin + g * cg + c) * h + iy) * wd + ix] += gv * W[((o * cg + c) * kh + i) * kw + j];
                                    }
                                }
                        }
                }
        });
        return out(DX, xs.clone(), gy.dtype());
    }

    static Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] ws, Conv2dParams p) {
        int[] xs = x.shape(), ys = gy.shape();
        double[] X = f64(x), G = f64(gy), DW = new double[ws[0] * ws[1] * ws[2] * ws[3]];
        int cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], kh = ws[2], kw = ws[3], cg = ws[1], og = cout / p.groups();
        Parallel.forRange(cout, 1, (lo, hi) -> {
            for (int o = lo; o < hi; o++) {
                int g = o / og;
                for (int n = 0; n < xs[0]; n++)
                    for (int oy = 0; oy < ys[2]; oy++)
                        for (int ox = 0; ox < ys[3]; ox++) {
                            double gv = G[((n * cout + o) * ys[2] + oy) * ys[3] + ox];
                            for (int c = 0; c < cg; c++)
                                for (int i = 0; i < kh; i++) {
                                    int iy = oy * p.strideH() - p.padH() + i * p.dilationH();
                                    if (iy < 0 || iy >= h) continue;
                                    for (int j = 0; j < kw; j++) {
                                        int ix = ox * p.strideW() - p.padW() + j * p.dilationW();
                                        if (ix < 0 || ix >= wd) continue;
                                        DW[((o * cg + c) * kh + i) * kw + j] += gv * X[((n * cin + g * cg + c) * h + iy) * wd + ix];
                                    }
                                }
                        }
            }
        });
        return out(DW, ws.clone(), x.dtype());
    }

    static Tensor avgPool2d(Tensor x, int k, int s) {
        int[] xs = x.shape();
        int oh = (xs[2] - k) / s + 1, ow = (xs[3] - k) / s + 1;
        double[] X = f64(x), Y = new double[xs[0] * xs[1] * oh * ow];
        for (int nc = 0; nc < xs[0] * xs[1]; nc++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double sum = 0;
                    for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) sum += X[(nc * xs[2] + oy * s + i) * xs[3] + ox * s + j];
                    Y[(nc * oh + oy) * ow + ox] = sum / (k * k);
                }
        return out(Y, new int[] {xs[0], xs[1], oh, ow}, x.dtype());
    }

    static Tensor avgPool2dBackward(Tensor gy, int[] xs, int k, int s) {
        int oh = gy.shape(2), ow = gy.shape(3);
        double[] G = f64(gy), DX = new double[xs[0] * xs[1] * xs[2] * xs[3]];
        for (int nc = 0; nc < xs[0] * xs[1]; nc++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double g = G[(nc * oh + oy) * ow + ox] / (k * k);
                    for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) DX[(nc * xs[2] + oy * s + i) * xs[3] + ox * s + j] += g;
                }
        return out(DX, xs.clone(), gy.dtype());
    }

    static Tensor upsampleNearest(Tensor x, int f) {
        int[] xs = x.shape();
        int oh = xs[2] * f, ow = xs[3] * f;
        double[] X = f64(x), Y = new double[xs[0] * xs[1] * oh * ow];
        for (int nc = 0; nc < xs[0] * xs[1]; nc++)
            for (int y = 0; y < oh; y++) for (int z = 0; z < ow; z++) Y[(nc * oh + y) * ow + z] = X[(nc * xs[2] + y / f) * xs[3] + z / f];
        return out(Y, new int[] {xs[0], xs[1], oh, ow}, x.dtype());
    }

    static Tensor upsampleNearestBackward(Tensor gy, int f) {
        int[] ys = gy.shape();
        int h = ys[2] / f, w = ys[3] / f;
        double[] G = f64(gy), DX = new double[ys[0] * ys[1] * h * w];
        for (int nc = 0; nc < ys[0] * ys[1]; nc++)
            for (int y = 0; y < ys[2]; y++) for (int z = 0; z < ys[3]; z++) DX[(nc * h + y / f) * w + z / f] += G[(nc * ys[2] + y) * ys[3] + z];
        return out(DX, new int[] {ys[0], ys[1], h, w}, gy.dtype());
    }

    /** Source coordinate and weights for align_corners=false: src = (dst + 0.5) * in/out - 0.5, clamped at 0. */
    private static void bilinearTaps(int dst, int in, int out, int[] idx, double[] wt) {
        double src = Math.max(0, (dst + 0.5) * in / out - 0.5);
        int i0 = Math.min((int) Math.floor(src), in - 1);
        int i1 = Math.min(i0 + 1, in - 1);
        double l = src - i0;
        idx[0] = i0; idx[1] = i1; wt[0] = 1 - l; wt[1] = l;
    }

    static Tensor upsampleBilinear(Tensor x, int oh, int ow) { return bilinear(f64(x), x.shape(), oh, ow, false, x.dtype()); }

    static Tensor upsampleBilinearBackward(Tensor gy, int[] xs) { return bilinear(f64(gy), xs, gy.shape(2), gy.shape(3), true, gy.dtype()); }

    private static Tensor bilinear(double[] src, int[] xs, int oh, int ow, boolean adjoint, DType dtype) {
        int h = xs[2], w = xs[3], nc = xs[0] * xs[1];
        double[] dst = new double[adjoint ? nc * h * w : nc * oh * ow];
        int[] iy = new int[2], ix = new int[2];
        double[] wy = new double[2], wx = new double[2];
        for (int y = 0; y < oh; y++) {
            bilinearTaps(y, h, oh, iy, wy);
            for (int z = 0; z < ow; z++) {
                bilinearTaps(z, w, ow, ix, wx);
                for (int c = 0; c < nc; c++) {
                    int o = (c * oh + y) * ow + z;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++) {
                            int i = (c * h + iy[a]) * w + ix[b];
                            double k = wy[a] * wx[b];
                            if (adjoint) dst[i] += k * src[o];
                            else dst[o] += k * src[i];
                        }
                }
            }
        }
        return out(dst, adjoint ? xs.clone() : new int[] {xs[0], xs[1], oh, ow}, dtype);
    }
}
