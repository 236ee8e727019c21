package dev.diffusion4j.engine.cpu;

/**
 * Hot f32 inner loops of the fused NN kernels (norms, SiLU epilogue, softmax). Loops with an exp run through the
 * Vector API when the jdk.incubator.vector module is present (about 10x faster than scalar Math.exp), else as plain
 * loops; accumulations are in double so results do not depend on which path ran beyond float rounding.
 */
final class FloatKernels {
    private FloatKernels() {}

    /** True when the SIMD paths are in use; -Ddiffusion4j.nosimd=true forces the scalar loops. */
    static final boolean SIMD = simdUsable();

    private static boolean simdUsable() {
        if (Boolean.getBoolean("diffusion4j.nosimd")) return false;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        try {
            return FloatKernelsSimd.selfTest();
        } catch (Throwable t) {  // module present but unusable (e.g. a JVM without the intrinsics): fall back
            return false;
        }
    }

    /** y = a*x + b, or silu(a*x + b) when silu. */
    static void affine(float[] x, int xo, float[] y, int yo, int n, float a, float b, boolean silu) {
        if (!silu) {
            if (SIMD) FloatKernelsSimd.affine(x, xo, y, yo, n, a, b);
            else for (int i = 0; i < n; i++) y[yo + i] = x[xo + i] * a + b;
        } else if (SIMD) {
            FloatKernelsSimd.affineSilu(x, xo, y, yo, n, a, b);
        } else {
            affineSiluScalar(x, xo, y, yo, n, a, b);
        }
    }

    static void affineSiluScalar(float[] x, int xo, float[] y, int yo, int n, float a, float b) {
        for (int i = 0; i < n; i++) {
            float z = x[xo + i] * a + b;
            y[yo + i] = z / (1f + (float) Math.exp(-z));
        }
    }

    /** out = gy * silu'(a*x + b): the gradient through a SiLU applied after an affine map. */
    static void siluGradScalar(float[] x, int xo, float[] gy, int go, float[] out, int oo, int n, float a, float b) {
        for (int i = 0; i < n; i++) {
            float z = x[xo + i] * a + b;
            float s = 1f / (1f + (float) Math.exp(-z));
            out[oo + i] = gy[go + i] * s * (1f + z * (1f - s));
        }
    }

    /** y = exp(x - shift); returns the sum of the y (accumulated in double). */
    static double expShift(float[] x, int xo, float[] y, int yo, int n, float shift) {
        return SIMD ? FloatKernelsSimd.expShift(x, xo, y, yo, n, shift) : expShiftScalar(x, xo, y, yo, n, shift);
    }

    static double expShiftScalar(float[] x, int xo, float[] y, int yo, int n, float shift) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            y[yo + i] = e;
            s += e;
        }
        return s;
    }

    /** dx = gy - exp(y) * s (log-softmax backward). */
    static void logSoftmaxGrad(float[] y, int yo, float[] gy, int go, float[] dx, int dxo, int n, float s) {
        if (SIMD) FloatKernelsSimd.logSoftmaxGrad(y, yo, gy, go, dx, dxo, n, s);
        else logSoftmaxGradScalar(y, yo, gy, go, dx, dxo, n, s);
    }

    static void logSoftmaxGradScalar(float[] y, int yo, float[] gy, int go, float[] dx, int dxo, int n, float s) {
        for (int i = 0; i < n; i++) dx[dxo + i] = gy[go + i] - (float) Math.exp(y[yo + i]) * s;
    }

    static float max(float[] x, int xo, int n) {
        return SIMD ? FloatKernelsSimd.max(x, xo, n) : maxScalar(x, xo, n);
    }

    static float maxScalar(float[] x, int xo, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** out[0] = sum(x - shift), out[1] = sum((x - shift)^2), in double (shifting by a sample keeps the variance exact). */
    static void shiftedMoments(float[] x, int xo, int n, float shift, double[] out) {
        if (SIMD) FloatKernelsSimd.shiftedMoments(x, xo, n, shift, out);
        else shiftedMomentsScalar(x, xo, n, shift, out);
    }

    static void shiftedMomentsScalar(float[] x, int xo, int n, float shift, double[] out) {
        double s0 = 0, s1 = 0, q0 = 0, q1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            double d0 = (double) x[xo + i] - shift, d1 = (double) x[xo + i + 1] - shift;
            s0 += d0; q0 += d0 * d0;
            s1 += d1; q1 += d1 * d1;
        }
        for (; i < n; i++) { double d = (double) x[xo + i] - shift; s0 += d; q0 += d * d; }
        out[0] = s0 + s1;
        out[1] = q0 + q1;
    }

    /** out[0] = sum(g), out[1] = sum(g * x), in double. */
    static void dotMoments(float[] g, int go, float[] x, int xo, int n, double[] out) {
        if (SIMD) FloatKernelsSimd.dotMoments(g, go, x, xo, n, out);
        else dotMomentsScalar(g, go, x, xo, n, out);
    }

    static void dotMomentsScalar(float[] g, int go, float[] x, int xo, int n, double[] out) {
        double s0 = 0, s1 = 0, p0 = 0, p1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            double g0 = g[go + i], g1 = g[go + i + 1];
            s0 += g0; p0 += g0 * x[xo + i];
            s1 += g1; p1 += g1 * x[xo + i + 1];
        }
        for (; i < n; i++) { double gi = g[go + i]; s0 += gi; p0 += gi * x[xo + i]; }
        out[0] = s0 + s1;
        out[1] = p0 + p1;
    }

    /** gz = gy * silu'(a*x + b) written to out, plus {@link #dotMoments} of (gz, x) in the same pass. */
    static void siluGradMoments(float[] x, int xo, float[] gy, int go, float[] out, int oo, int n, float a, float b, double[] mom) {
        if (SIMD) {
            FloatKernelsSimd.siluGradMoments(x, xo, gy, go, out, oo, n, a, b, mom);
        } else {
            siluGradScalar(x, xo, gy, go, out, oo, n, a, b);
            dotMomentsScalar(out, oo, x, xo, n, mom);
        }
    }

    /** sum(a * b) in double. */
    static double dot(float[] a, int ao, float[] b, int bo, int n) {
        return SIMD ? FloatKernelsSimd.dot(a, ao, b, bo, n) : dotScalar(a, ao, b, bo, n);
    }

    static double dotScalar(float[] a, int ao, float[] b, int bo, int n) {
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) { s0 += (double) a[ao + i] * b[bo + i]; s1 += (double) a[ao + i + 1] * b[bo + i + 1]; }
        for (; i < n; i++) s0 += (double) a[ao + i] * b[bo + i];
        return s0 + s1;
    }

    /** out = a*u + k*x + c (out may be u). */
    static void lincomb(float[] u, int uo, float[] x, int xo, float[] out, int oo, int n, float a, float k, float c) {
        if (SIMD) FloatKernelsSimd.lincomb(u, uo, x, xo, out, oo, n, a, k, c);
        else for (int i = 0; i < n; i++) out[oo + i] = a * u[uo + i] + k * x[xo + i] + c;
    }

    /** One layer-norm row: y = (x - mu) * rs * w + b, with w and b indexed from 0. */
    static void layerNormRow(float[] x, int xo, float[] w, float[] b, float[] y, int yo, int n, float mu, float rs) {
        if (SIMD) FloatKernelsSimd.layerNormRow(x, xo, w, b, y, yo, n, mu, rs);
        else for (int i = 0; i < n; i++) y[yo + i] = (x[xo + i] - mu) * rs * w[i] + b[i];
    }

    /**
     * Layer-norm backward, first pass over a row: mom = {sum(g w), sum(g w xhat)} and the parameter gradients
     * pw += g xhat, pb += g, all in double.
     */
    static void layerNormGradSums(float[] x, int xo, float[] g, int go, float[] w, float mu, float rs,
                                  double[] pw, double[] pb, int n, double[] mom) {
        if (SIMD) {
            FloatKernelsSimd.layerNormGradSums(x, xo, g, go, w, mu, rs, pw, pb, n, mom);
            return;
        }
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double gi = g[go + i], xh = (x[xo + i] - mu) * rs, dxh = gi * w[i];
            s1 += dxh;
            s2 += dxh * xh;
            pw[i] += gi * xh;
            pb[i] += gi;
        }
        mom[0] = s1;
        mom[1] = s2;
    }

    /** Layer-norm backward, second pass: dx = rs (g w - m1 - xhat m2). */
    static void layerNormGradRow(float[] x, int xo, float[] g, int go, float[] w, float[] dx, int dxo, int n,
                                 float mu, float rs, float m1, float m2) {
        if (SIMD) FloatKernelsSimd.layerNormGradRow(x, xo, g, go, w, dx, dxo, n, mu, rs, m1, m2);
        else for (int i = 0; i < n; i++) dx[dxo + i] = rs * (g[go + i] * w[i] - m1 - (x[xo + i] - mu) * rs * m2);
    }

    /** Softmax backward for one row: dx = y (g - dot). */
    static void softmaxGradRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int n, float dot) {
        if (SIMD) FloatKernelsSimd.softmaxGradRow(y, yo, g, go, dx, dxo, n, dot);
        else for (int i = 0; i < n; i++) dx[dxo + i] = y[yo + i] * (g[go + i] - dot);
    }
}
