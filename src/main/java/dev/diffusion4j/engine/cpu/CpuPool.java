package dev.diffusion4j.engine.cpu;

import java.util.Arrays;

/**
 * Pooling and upsampling on contiguous NCHW arrays (offset 0), float and double, with PyTorch's
 * semantics: avg_pool2d (floor mode, optional zero padding, count_include_pad), nearest upsampling
 * by integer factors, bilinear resize with align_corners=false. Planes (n*c) run in parallel;
 * backward passes overwrite the input gradient.
 */
public final class CpuPool {
    private CpuPool() {}

    /** avg_pool2d shape: input n x c x h x w, window kh x kw, stride, zero padding. */
    public record AvgPool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, boolean countIncludePad) {
        public AvgPool {
            if (n < 1 || c < 1 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0)
                throw new IllegalArgumentException("invalid avg_pool2d geometry " + this);
            if (2 * ph > kh || 2 * pw > kw)
                throw new IllegalArgumentException("avg_pool2d padding " + ph + "x" + pw + " must be at most half the window " + kh + "x" + kw);
            if (h + 2 * ph < kh || w + 2 * pw < kw)
                throw new IllegalArgumentException("avg_pool2d window " + kh + "x" + kw + " larger than padded input " + (h + 2 * ph) + "x" + (w + 2 * pw));
        }

        public static AvgPool of(int n, int c, int h, int w, int k, int stride) {
            return new AvgPool(n, c, h, w, k, k, stride, stride, 0, 0, true);
        }

        public int outH() { return (h + 2 * ph - kh) / sh + 1; }
        public int outW() { return (w + 2 * pw - kw) / sw + 1; }

        /** Window rows/cols clipped to the input; divisor per PyTorch. Returns {y0, y1, x0, x1, divisor}. */
        int[] window(int oy, int ox) {
            int y0 = oy * sh - ph, x0 = ox * sw - pw, y1 = Math.min(y0 + kh, h), x1 = Math.min(x0 + kw, w);
            int div = kh * kw;
            y0 = Math.max(y0, 0);
            x0 = Math.max(x0, 0);
            if (!countIncludePad) div = (y1 - y0) * (x1 - x0);
            return new int[] {y0, y1, x0, x1, div};
        }
    }

    public static void avgPoolForward(AvgPool p, float[] x, float[] y) {
        int oh = p.outH(), ow = p.outW(), hw = p.h() * p.w();
        Parallel.forRange(p.n() * p.c(), 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int[] win = p.window(oy, ox);
                        float s = 0;
                        for (int iy = win[0]; iy < win[1]; iy++)
                            for (int ix = win[2]; ix < win[3]; ix++) s += x[pl * hw + iy * p.w() + ix];
                        y[(pl * oh + oy) * ow + ox] = s / win[4];
                    }
        });
    }

    public static void avgPoolBackward(AvgPool p, float[] gy, float[] gx) {
        int oh = p.outH(), ow = p.outW(), hw = p.h() * p.w();
        Parallel.forRange(p.n() * p.c(), 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * hw, (pl + 1) * hw, 0f);
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int[] win = p.window(oy, ox);
                        float d = gy[(pl * oh + oy) * ow + ox] / win[4];
                        for (int iy = win[0]; iy < win[1]; iy++)
                            for (int ix = win[2]; ix < win[3]; ix++) gx[pl * hw + iy * p.w() + ix] += d;
                    }
            }
        });
    }

    public static void avgPoolForward(AvgPool p, double[] x, double[] y) {
        int oh = p.outH(), ow = p.outW(), hw = p.h() * p.w();
        Parallel.forRange(p.n() * p.c(), 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int[] win = p.window(oy, ox);
                        double s = 0;
                        for (int iy = win[0]; iy < win[1]; iy++)
                            for (int ix = win[2]; ix < win[3]; ix++) s += x[pl * hw + iy * p.w() + ix];
                        y[(pl * oh + oy) * ow + ox] = s / win[4];
                    }
        });
    }

    public static void avgPoolBackward(AvgPool p, double[] gy, double[] gx) {
        int oh = p.outH(), ow = p.outW(), hw = p.h() * p.w();
        Parallel.forRange(p.n() * p.c(), 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * hw, (pl + 1) * hw, 0);
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int[] win = p.window(oy, ox);
                        double d = gy[(pl * oh + oy) * ow + ox] / win[4];
                        for (int iy = win[0]; iy < win[1]; iy++)
                            for (int ix = win[2]; ix < win[3]; ix++) gx[pl * hw + iy * p.w() + ix] += d;
                    }
            }
        });
    }

    // ---- nearest upsampling by integer factors: y[oy][ox] = x[oy / fh][ox / fw] ----------------

    public static void upsampleNearestForward(int planes, int h, int w, int fh, int fw, float[] x, float[] y) {
        checkFactors(planes, h, w, fh, fw);
        int ow = w * fw, ohw = h * fh * ow;
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < h * fh; oy++) {
                    int src = pl * h * w + (oy / fh) * w, dst = pl * ohw + oy * ow;
                    for (int ox = 0; ox < ow; ox++) y[dst + ox] = x[src + ox / fw];
                }
        });
    }

    public static void upsampleNearestBackward(int planes, int h, int w, int fh, int fw, float[] gy, float[] gx) {
        checkFactors(planes, h, w, fh, fw);
        int ow = w * fw, ohw = h * fh * ow;
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * h * w, (pl + 1) * h * w, 0f);
                for (int oy = 0; oy < h * fh; oy++) {
                    int dst = pl * h * w + (oy / fh) * w, src = pl * ohw + oy * ow;
                    for (int ox = 0; ox < ow; ox++) gx[dst + ox / fw] += gy[src + ox];
                }
            }
        });
    }

    public static void upsampleNearestForward(int planes, int h, int w, int fh, int fw, double[] x, double[] y) {
        checkFactors(planes, h, w, fh, fw);
        int ow = w * fw, ohw = h * fh * ow;
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < h * fh; oy++) {
                    int src = pl * h * w + (oy / fh) * w, dst = pl * ohw + oy * ow;
                    for (int ox = 0; ox < ow; ox++) y[dst + ox] = x[src + ox / fw];
                }
        });
    }

    public static void upsampleNearestBackward(int planes, int h, int w, int fh, int fw, double[] gy, double[] gx) {
        checkFactors(planes, h, w, fh, fw);
        int ow = w * fw, ohw = h * fh * ow;
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * h * w, (pl + 1) * h * w, 0);
                for (int oy = 0; oy < h * fh; oy++) {
                    int dst = pl * h * w + (oy / fh) * w, src = pl * ohw + oy * ow;
                    for (int ox = 0; ox < ow; ox++) gx[dst + ox / fw] += gy[src + ox];
                }
            }
        });
    }

    private static void checkFactors(int planes, int h, int w, int fh, int fw) {
        if (planes < 0 || h < 1 || w < 1 || fh < 1 || fw < 1)
            throw new IllegalArgumentException("invalid nearest upsampling: planes=" + planes + " " + h + "x" + w + " factor " + fh + "x" + fw);
    }

    // ---- bilinear resize, align_corners = false ---------------------------------------------

    /**
     * Source taps per output index, as PyTorch computes them for align_corners=false and an output
     * size: src = max(0, (dst + 0.5) * in/out - 0.5), i0 = floor(src), i1 = min(i0 + 1, in - 1).
     */
    record Taps(int[] i0, int[] i1, double[] l0, double[] l1) {
        static Taps of(int in, int out) {
            int[] a = new int[out], b = new int[out];
            double[] la = new double[out], lb = new double[out];
            double scale = (double) in / out;
            for (int d = 0; d < out; d++) {
                double src = Math.max(0, (d + 0.5) * scale - 0.5);
                int i = Math.min((int) src, in - 1);
                a[d] = i;
                b[d] = Math.min(i + 1, in - 1);
                lb[d] = src - i;
                la[d] = 1 - lb[d];
            }
            return new Taps(a, b, la, lb);
        }
    }

    public static void bilinearForward(int planes, int h, int w, int oh, int ow, float[] x, float[] y) {
        checkResize(planes, h, w, oh, ow);
        Taps ty = Taps.of(h, oh), tx = Taps.of(w, ow);
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < oh; oy++) {
                    int r0 = pl * h * w + ty.i0[oy] * w, r1 = pl * h * w + ty.i1[oy] * w, dst = (pl * oh + oy) * ow;
                    float a0 = (float) ty.l0[oy], a1 = (float) ty.l1[oy];
                    for (int ox = 0; ox < ow; ox++) {
                        int c0 = tx.i0[ox], c1 = tx.i1[ox];
                        float b0 = (float) tx.l0[ox], b1 = (float) tx.l1[ox];
                        y[dst + ox] = a0 * (b0 * x[r0 + c0] + b1 * x[r0 + c1]) + a1 * (b0 * x[r1 + c0] + b1 * x[r1 + c1]);
                    }
                }
        });
    }

    public static void bilinearBackward(int planes, int h, int w, int oh, int ow, float[] gy, float[] gx) {
        checkResize(planes, h, w, oh, ow);
        Taps ty = Taps.of(h, oh), tx = Taps.of(w, ow);
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * h * w, (pl + 1) * h * w, 0f);
                for (int oy = 0; oy < oh; oy++) {
                    int r0 = pl * h * w + ty.i0[oy] * w, r1 = pl * h * w + ty.i1[oy] * w, src = (pl * oh + oy) * ow;
                    float a0 = (float) ty.l0[oy], a1 = (float) ty.l1[oy];
                    for (int ox = 0; ox < ow; ox++) {
                        int c0 = tx.i0[ox], c1 = tx.i1[ox];
                        float b0 = (float) tx.l0[ox], b1 = (float) tx.l1[ox], d = gy[src + ox];
                        gx[r0 + c0] += a0 * b0 * d;
                        gx[r0 + c1] += a0 * b1 * d;
                        gx[r1 + c0] += a1 * b0 * d;
                        gx[r1 + c1] += a1 * b1 * d;
                    }
                }
            }
        });
    }

    public static void bilinearForward(int planes, int h, int w, int oh, int ow, double[] x, double[] y) {
        checkResize(planes, h, w, oh, ow);
        Taps ty = Taps.of(h, oh), tx = Taps.of(w, ow);
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int oy = 0; oy < oh; oy++) {
                    int r0 = pl * h * w + ty.i0[oy] * w, r1 = pl * h * w + ty.i1[oy] * w, dst = (pl * oh + oy) * ow;
                    double a0 = ty.l0[oy], a1 = ty.l1[oy];
                    for (int ox = 0; ox < ow; ox++) {
                        int c0 = tx.i0[ox], c1 = tx.i1[ox];
                        double b0 = tx.l0[ox], b1 = tx.l1[ox];
                        y[dst + ox] = a0 * (b0 * x[r0 + c0] + b1 * x[r0 + c1]) + a1 * (b0 * x[r1 + c0] + b1 * x[r1 + c1]);
                    }
                }
        });
    }

    public static void bilinearBackward(int planes, int h, int w, int oh, int ow, double[] gy, double[] gx) {
        checkResize(planes, h, w, oh, ow);
        Taps ty = Taps.of(h, oh), tx = Taps.of(w, ow);
        Parallel.forRange(planes, 1, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                Arrays.fill(gx, pl * h * w, (pl + 1) * h * w, 0);
                for (int oy = 0; oy < oh; oy++) {
                    int r0 = pl * h * w + ty.i0[oy] * w, r1 = pl * h * w + ty.i1[oy] * w, src = (pl * oh + oy) * ow;
                    double a0 = ty.l0[oy], a1 = ty.l1[oy];
                    for (int ox = 0; ox < ow; ox++) {
                        int c0 = tx.i0[ox], c1 = tx.i1[ox];
                        double b0 = tx.l0[ox], b1 = tx.l1[ox], d = gy[src + ox];
                        gx[r0 + c0] += a0 * b0 * d;
                        gx[r0 + c1] += a0 * b1 * d;
                        gx[r1 + c0] += a1 * b0 * d;
                        gx[r1 + c1] += a1 * b1 * d;
                    }
                }
            }
        });
    }

    private static void checkResize(int planes, int h, int w, int oh, int ow) {
        if (planes < 0 || h < 1 || w < 1 || oh < 1 || ow < 1)
            throw new IllegalArgumentException("invalid bilinear resize: planes=" + planes + " " + h + "x" + w + " -> " + oh + "x" + ow);
    }
}
