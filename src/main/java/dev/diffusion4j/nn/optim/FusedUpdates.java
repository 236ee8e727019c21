package dev.diffusion4j.nn.optim;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.cpu.CpuStorage;
import dev.diffusion4j.engine.cpu.Parallel;

/**
 * In-place elementwise updates for optimizers and EMA. On the CPU, contiguous f32/f64 tensors are updated in one
 * pass over their arrays (no temporaries, no graph); other tensors (other devices, strided views) go through
 * tensor ops and {@code Backend.copyInto}, until their backend offers fused kernels. Gradients are only read:
 * autograd may hand the same tensor to several leaves, so writing into one would corrupt another.
 */
public final class FusedUpdates {
    private static final int GRAIN = 1 << 15;

    private FusedUpdates() {}

    /** Scalars of one Adam step; {@code decay} multiplies the parameter first (1 - lr*wd for AdamW, 1 for Adam). */
    public record AdamStep(double lr, double beta1, double beta2, double eps, double decay, double l2,
                           double biasCorrection1, double biasCorrection2Sqrt) {}

    /**
     * One Adam(W) update of param, expAvg and expAvgSq in place:
     * g' = g + l2*p; p *= decay; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
     * p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
     */
    public static void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamStep s) {
        if (fusable(param, grad, expAvg, expAvgSq)) adamCpu(param, grad, expAvg, expAvgSq, s);
        else adamGeneric(param, grad, expAvg, expAvgSq, s);
    }

    /** dst += weight * (src - dst) in place (an EMA step with weight = 1 - decay). */
    public static void lerp(Tensor dst, Tensor src, double weight) {
        if (fusable(dst, src)) lerpCpu(dst, src, weight);
        else lerpGeneric(dst, src, weight);
    }

    /** Sum of squares accumulated in double. */
    public static double sumOfSquares(Tensor t) {
        if (fusable(t)) return sumSqCpu(t);
        try (var g = GradMode.off()) {
            return t.detach().to(DType.F64).square().sum().item();
        }
    }

    // ------------------------------------------------------------------ eligibility

    /** All on the CPU, same f32/f64 dtype and shape, element i of each at offset + i. */
    static boolean fusable(Tensor... ts) {
        Tensor first = ts[0];
        if (first.dtype() != DType.F32 && first.dtype() != DType.F64) return false;
        for (Tensor t : ts) {
            if (!(t.storage() instanceof CpuStorage) || t.dtype() != first.dtype() || !t.isContiguous()
                    || !java.util.Arrays.equals(t.shape(), first.shape())) return false;
        }
        return true;
    }

    private static Object arr(Tensor t) { return ((CpuStorage) t.storage()).array(); }

    // ------------------------------------------------------------------ CPU passes

    private static void adamCpu(Tensor p, Tensor g, Tensor m, Tensor v, AdamStep s) {
        int n = (int) p.numel();
        int op = p.offset(), og = g.offset(), om = m.offset(), ov = v.offset();
        double b1 = s.beta1(), b2 = s.beta2(), c1 = 1 - b1, c2 = 1 - b2, decay = s.decay(), l2 = s.l2(), eps = s.eps();
        double stepSize = s.lr() / s.biasCorrection1(), invBc2 = 1 / s.biasCorrection2Sqrt();
        if (p.dtype() == DType.F32) {
            // float arithmetic like PyTorch's f32 kernels; a plain loop that C2 can vectorise
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

    private static void lerpCpu(Tensor d, Tensor s, double w) {
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

    private static double sumSqCpu(Tensor t) {
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

    // ------------------------------------------------------------------ tensor-op fallbacks

    static void adamGeneric(Tensor p, Tensor g, Tensor m, Tensor v, AdamStep s) {
        try (var gm = GradMode.off()) {
            Tensor pd = p.detach(), gd = g.detach().to(p.dtype());
            if (s.l2() != 0) gd = gd.add(pd.mul(s.l2()));
            Tensor m2 = m.mul(s.beta1()).add(gd.mul(1 - s.beta1()));
            Tensor v2 = v.mul(s.beta2()).add(gd.square().mul(1 - s.beta2()));
            Tensor denom = v2.sqrt().affine(1 / s.biasCorrection2Sqrt(), s.eps());
            Tensor p2 = pd.mul(s.decay()).sub(m2.div(denom).mul(s.lr() / s.biasCorrection1()));
            m.backend().copyInto(m, m2);
            v.backend().copyInto(v, v2);
            p.backend().copyInto(p, p2);
        }
    }

    static void lerpGeneric(Tensor d, Tensor s, double w) {
        try (var gm = GradMode.off()) {
            Tensor dd = d.detach();
            d.backend().copyInto(d, dd.add(s.detach().to(d.dtype()).sub(dd).mul(w)));
        }
    }
}
