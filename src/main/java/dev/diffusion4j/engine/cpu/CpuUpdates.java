package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * The in-place optimizer and EMA updates as one pass over the arrays (no temporaries, no graph), for contiguous
 * f32/f64 tensors of one dtype and shape; {@link CpuBackend} sends everything else to the composed defaults.
 * f32 arithmetic is done in float, like PyTorch's f32 kernels, in plain loops that C2 vectorises.
 */
final class CpuUpdates {
    private static final int GRAIN = 1 << 15;

    private CpuUpdates() {}

    /** All on the CPU, same f32/f64 dtype and shape, element i of each at offset + i. */
    static boolean fusable(Tensor... ts) {
        Tensor first = ts[0];
        if (first.dtype() != DType.F32 && first.dtype() != DType.F64) return false;
        for (Tensor t : ts) {
            if (!(t.storage() instanceof CpuStorage) || t.dtype() != first.dtype() || !t.isContiguous()
                    || !Arrays.equals(t.shape(), first.shape())) return false;
        }
        return true;
    }

    private static Object arr(Tensor t) { return ((CpuStorage) t.storage()).array(); }

    static void adam(Tensor p, Tensor g, Tensor m, Tensor v, AdamUpdate s) {
        int n = (int) p.numel();
        int op = p.offset(), og = g.offset(), om = m.offset(), ov = v.offset();
        double b1 = s.beta1(), b2 = s.beta2(), c1 = 1 - b1, c2 = 1 - b2, decay = s.decay(), l2 = s.l2(), eps = s.eps();
        double stepSize = s.lr() / s.biasCorrection1(), invBc2 = 1 / s.biasCorrection2Sqrt();
        if (p.dtype() == DType.F32) {
            float[] pa = (float[]) arr(p), ga = (float[]) arr(g), ma = (float[]) arr(m), va = (float[]) arr(v);
            float fb1 = (float) b1, fb2 = (float) b2, fc1 = (float) c1, fc2 = (float) c2, fDecay = (float) decay, fl2 = (float) l2;
            float fEps = (float) eps, fStep = (float) stepSize, fInv = (float) invBc2;
            Parallel.forRange(n, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float pi = pa[op + i], gi = ga[og + i] + fl2 * pi;
                    float mi = fb1 * ma[om + i] + fc1 * gi, vi = fb2 * va[ov + i] + fc2 * gi * gi;
                    ma[om + i] = mi;
                    va[ov + i] = vi;
                    pa[op + i] = pi * fDecay - fStep * mi / ((float) Math.sqrt(vi) * fInv + fEps);
                }
            });
        } else {
            double[] pa = (double[]) arr(p), ga = (double[]) arr(g), ma = (double[]) arr(m), va = (double[]) arr(v);
            Parallel.forRange(n, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double pi = pa[op + i], gi = ga[og + i] + l2 * pi;
                    double mi = b1 * ma[om + i] + c1 * gi, vi = b2 * va[ov + i] + c2 * gi * gi;
                    ma[om + i] = mi;
                    va[ov + i] = vi;
                    pa[op + i] = pi * decay - stepSize * mi / (Math.sqrt(vi) * invBc2 + eps);
                }
            });
        }
    }

    static void lerp(Tensor d, Tensor s, double w) {
        int n = (int) d.numel(), od = d.offset(), os = s.offset();
        if (d.dtype() == DType.F32) {
            float[] da = (float[]) arr(d), sa = (float[]) arr(s);
            float fw = (float) w;
            Parallel.forRange(n, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) da[od + i] += fw * (sa[os + i] - da[od + i]);
            });
        } else {
            double[] da = (double[]) arr(d), sa = (double[]) arr(s);
            Parallel.forRange(n, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) da[od + i] += w * (sa[os + i] - da[od + i]);
            });
        }
    }

    /** Sum of squares in double, in index order (deterministic). */
    static double sumOfSquares(Tensor t) {
        int n = (int) t.numel(), o = t.offset();
        double s = 0;
        if (t.dtype() == DType.F32) {
            float[] a = (float[]) arr(t);
            for (int i = 0; i < n; i++) { double x = a[o + i]; s += x * x; }
        } else {
            double[] a = (double[]) arr(t);
            for (int i = 0; i < n; i++) s += a[o + i] * a[o + i];
        }
        return s;
    }
}
