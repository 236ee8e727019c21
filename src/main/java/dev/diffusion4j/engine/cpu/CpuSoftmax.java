package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/**
 * Fused softmax / log-softmax over one dim, forward and backward (from the output). The tensor is read as
 * [outer, n, inner] with the softmax dim in the middle. f32 runs rows along the last dim (attention scores, logits)
 * through the SIMD exp; an f32 softmax over another dim is transposed there and back. f64 (the gradient-check
 * reference) is a plain loop over any layout that keeps a running max and sum per inner position.
 * <p>A row that is entirely -inf (fully masked) gives softmax 0 and log-softmax -inf instead of NaN.
 */
final class CpuSoftmax {
    private CpuSoftmax() {}

    static Tensor forward(Tensor x, int dim, boolean log) {
        CpuElementwise.requireFloat(x, log ? "logSoftmax" : "softmax");
        int[] shape = x.shape();
        int n = shape[dim], inner = 1;
        for (int i = dim + 1; i < shape.length; i++) inner *= shape[i];
        if (x.dtype() == DType.F32 && inner > 1) {
            // rare layout (softmax over a non-last dim): move the dim last, use the fast row kernel, move it back
            int last = shape.length - 1;
            Tensor yt = forward(CpuElementwise.contiguous(x.detach().transpose(dim, last)), last, log);
            return CpuElementwise.contiguous(yt.transpose(dim, last));
        }
        int outer = n * inner == 0 ? 0 : (int) (x.numel() / ((long) n * inner));
        Tensor xd = CpuNorm.dense(x);
        Tensor y = CpuElementwise.alloc(shape, x.dtype());
        int xo = xd.offset(), in = inner;
        if (x.dtype() == DType.F32 && inner == 1) {
            float[] xa = CpuElementwise.st(xd).f32(), ya = CpuElementwise.st(y).f32();
            Parallel.forRange(outer, grain(n), (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    int xr = xo + r * n, yr = r * n;
                    float m = FloatKernels.max(xa, xr, n);
                    if (m == Float.NEGATIVE_INFINITY) {
                        java.util.Arrays.fill(ya, yr, yr + n, log ? Float.NEGATIVE_INFINITY : 0f);
                        continue;
                    }
                    double s = FloatKernels.expShift(xa, xr, ya, yr, n, m);
                    if (log) {
                        float lse = (float) (m + Math.log(s));
                        FloatKernels.affine(xa, xr, ya, yr, n, 1f, -lse, false);
                    } else {
                        float inv = (float) (1 / s);
                        FloatKernels.affine(ya, yr, ya, yr, n, inv, 0f, false);
                    }
                }
            });
        } else {
            double[] xa = CpuElementwise.st(xd).f64(), ya = CpuElementwise.st(y).f64();
            Parallel.forRange(outer, grain((long) n * in), (lo, hi) -> {
                double[] m = new double[in], s = new double[in];
                for (int o = lo; o < hi; o++) {
                    int base = o * n * in;
                    java.util.Arrays.fill(m, Double.NEGATIVE_INFINITY);
                    java.util.Arrays.fill(s, 0);
                    for (int j = 0; j < n; j++) for (int i = 0; i < in; i++) m[i] = Math.max(m[i], xa[xo + base + j * in + i]);
                    for (int j = 0; j < n; j++) for (int i = 0; i < in; i++) s[i] += Math.exp(xa[xo + base + j * in + i] - m[i]);
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < in; i++) {
                            int k = base + j * in + i;
                            ya[k] = stable(xa[xo + k], m[i], s[i], log);
                        }
                }
            });
        }
        return y;
    }

    /** softmax (exp(x - m) / s) or log-softmax (x - m - log s) of one element, given its row's max m and sum s. */
    private static double stable(double x, double m, double s, boolean log) {
        if (m == Double.NEGATIVE_INFINITY) return log ? Double.NEGATIVE_INFINITY : 0;
        return log ? x - m - Math.log(s) : Math.exp(x - m) / s;
    }

    /** dx from the forward output y: softmax y (gy - sum(gy y)); log-softmax gy - exp(y) sum(gy). */
    static Tensor backward(Tensor y, Tensor gy, int dim, boolean log) {
        int[] shape = y.shape();
        int n = shape[dim], inner = 1;
        for (int i = dim + 1; i < shape.length; i++) inner *= shape[i];
        if (y.dtype() == DType.F32 && inner > 1) {
            int last = shape.length - 1;
            Tensor dt = backward(CpuElementwise.contiguous(y.detach().transpose(dim, last)),
                    CpuElementwise.contiguous(gy.detach().transpose(dim, last)), last, log);
            return CpuElementwise.contiguous(dt.transpose(dim, last));
        }
        int outer = n * inner == 0 ? 0 : (int) (y.numel() / ((long) n * inner));
        Tensor yd = CpuNorm.dense(y), gd = CpuNorm.dense(gy);
        Tensor dx = CpuElementwise.alloc(shape, y.dtype());
        int yo = yd.offset(), go = gd.offset(), in = inner;
        if (y.dtype() == DType.F32 && inner == 1) {
            float[] ya = CpuElementwise.st(yd).f32(), ga = CpuElementwise.st(gd).f32(), da = CpuElementwise.st(dx).f32();
            Parallel.forRange(outer, grain(n), (lo, hi) -> {
                double[] mom = new double[2];
                for (int r = lo; r < hi; r++) {
                    int yr = yo + r * n, gr = go + r * n, dr = r * n;
                    if (log) {
                        FloatKernels.dotMoments(ga, gr, ya, yr, n, mom);
                        FloatKernels.logSoftmaxGrad(ya, yr, ga, gr, da, dr, n, (float) mom[0]);
                    } else {
                        float dot = (float) FloatKernels.dot(ga, gr, ya, yr, n);
                        FloatKernels.softmaxGradRow(ya, yr, ga, gr, da, dr, n, dot);
                    }
                }
            });
        } else {
            double[] ya = CpuElementwise.st(yd).f64(), ga = CpuElementwise.st(gd).f64(), da = CpuElementwise.st(dx).f64();
            Parallel.forRange(outer, grain((long) n * in), (lo, hi) -> {
                double[] s = new double[in];
                for (int o = lo; o < hi; o++) {
                    int base = o * n * in;
                    java.util.Arrays.fill(s, 0);
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < in; i++) {
                            int k = base + j * in + i;
                            s[i] += log ? ga[go + k] : ga[go + k] * ya[yo + k];
                        }
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < in; i++) {
                            int k = base + j * in + i;
                            double yk = ya[yo + k], gk = ga[go + k];
                            da[k] = log ? gk - Math.exp(yk) * s[i] : yk * (gk - s[i]);
                        }
                }
            });
        }
        return dx;
    }

    private static int grain(long elementsPerRow) { return (int) Math.max(1, (1 << 15) / Math.max(1, elementsPerRow)); }
}
