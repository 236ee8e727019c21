package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Vector API loops agree with their scalar fallbacks (every length 0..70, so the tails run; offset arrays). */
class FloatKernelsTest {
    private static float[] data(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    private static void near(String what, float want, float got) {
        assertEquals(want, got, 2e-6f * Math.max(1f, Math.abs(want)), what);
    }

    /** Sums in double over the same floats agree to rounding; the silu-grad ones also carry float rounding of the terms. */
    private static void sums(String what, double[] want, double[] got, double rel) {
        for (int k = 0; k < 2; k++) assertEquals(want[k], got[k], rel * (1 + Math.abs(want[k])) * 8, what + " [" + k + "]");
    }

    @Test
    void simdPathsMatchScalarPaths() {
        assumeTrue(FloatKernels.SIMD, "Vector API module not present: only the scalar paths run");
        Random r = new Random(3);
        for (int n = 0; n <= 70; n++) {
            int off = n % 3;
            float[] x = data(r, n + off, 4), g = data(r, n + off, 1);
            float[] ys = new float[n + 1], yv = new float[n + 1];
            FloatKernels.affineSiluScalar(x, off, ys, 1, n, 1.3f, -0.2f);
            FloatKernelsSimd.affineSilu(x, off, yv, 1, n, 1.3f, -0.2f);
            for (int i = 0; i <= n; i++) near("silu n=" + n, ys[i], yv[i]);
            double[] ms = new double[2], mv = new double[2];
            FloatKernels.siluGradScalar(x, off, g, off, ys, 1, n, 0.7f, 0.4f);
            FloatKernels.dotMomentsScalar(ys, 1, x, off, n, ms);
            FloatKernelsSimd.siluGradMoments(x, off, g, off, yv, 1, n, 0.7f, 0.4f, mv);
            for (int i = 0; i <= n; i++) near("silu grad n=" + n, ys[i], yv[i]);
            sums("silu grad moments n=" + n, ms, mv, 1e-5);
            FloatKernels.shiftedMomentsScalar(x, off, n, 0.5f, ms);
            FloatKernelsSimd.shiftedMoments(x, off, n, 0.5f, mv);
            sums("moments n=" + n, ms, mv, 1e-12);
            FloatKernels.dotMomentsScalar(g, off, x, off, n, ms);
            FloatKernelsSimd.dotMoments(g, off, x, off, n, mv);
            sums("dot moments n=" + n, ms, mv, 1e-12);
            assertEquals(FloatKernels.dotScalar(g, off, x, off, n), FloatKernelsSimd.dot(g, off, x, off, n), 1e-12 * (1 + n), "dot n=" + n);
            double ss = FloatKernels.expShiftScalar(x, off, ys, 1, n, 2f), sv = FloatKernelsSimd.expShift(x, off, yv, 1, n, 2f);
            assertEquals(ss, sv, 1e-6 * Math.max(1, ss), "exp sum n=" + n);
            for (int i = 0; i <= n; i++) near("exp n=" + n, ys[i], yv[i]);
            FloatKernels.logSoftmaxGradScalar(g, off, x, off, ys, 1, n, 0.3f);
            FloatKernelsSimd.logSoftmaxGrad(g, off, x, off, yv, 1, n, 0.3f);
            for (int i = 0; i <= n; i++) near("log-softmax grad n=" + n, ys[i], yv[i]);
            assertEquals(FloatKernels.maxScalar(x, off, n), FloatKernelsSimd.max(x, off, n), "max n=" + n);

            // plain float maps: the SIMD versions may fuse multiply-adds, so allow a few ulps
            float[] w = data(r, n, 1), b = data(r, n, 1);
            for (int i = 0; i < n; i++) ys[1 + i] = x[off + i] * 1.5f - 0.25f;
            FloatKernelsSimd.affine(x, off, yv, 1, n, 1.5f, -0.25f);
            for (int i = 0; i <= n; i++) near("affine n=" + n, ys[i], yv[i]);
            for (int i = 0; i < n; i++) ys[1 + i] = 0.5f * g[off + i] - 0.75f * x[off + i] + 0.125f;
            FloatKernelsSimd.lincomb(g, off, x, off, yv, 1, n, 0.5f, -0.75f, 0.125f);
            for (int i = 0; i <= n; i++) near("lincomb n=" + n, ys[i], yv[i]);
            for (int i = 0; i < n; i++) ys[1 + i] = (x[off + i] - 0.3f) * 1.7f * w[i] + b[i];
            FloatKernelsSimd.layerNormRow(x, off, w, b, yv, 1, n, 0.3f, 1.7f);
            for (int i = 0; i <= n; i++) near("layerNormRow n=" + n, ys[i], yv[i]);
            for (int i = 0; i < n; i++) ys[1 + i] = 1.7f * (g[off + i] * w[i] - 0.2f - (x[off + i] - 0.3f) * 1.7f * 0.4f);
            FloatKernelsSimd.layerNormGradRow(x, off, g, off, w, yv, 1, n, 0.3f, 1.7f, 0.2f, 0.4f);
            for (int i = 0; i <= n; i++) near("layerNormGradRow n=" + n, ys[i], yv[i]);
            for (int i = 0; i < n; i++) ys[1 + i] = x[off + i] * (g[off + i] - 0.6f);
            FloatKernelsSimd.softmaxGradRow(x, off, g, off, yv, 1, n, 0.6f);
            for (int i = 0; i <= n; i++) near("softmaxGradRow n=" + n, ys[i], yv[i]);
            double[] pws = new double[n], pbs = new double[n], pwv = new double[n], pbv = new double[n];
            double s1 = 0, s2 = 0;
            for (int i = 0; i < n; i++) {
                double gi = g[off + i], xh = (x[off + i] - 0.3f) * 1.7f;
                s1 += gi * w[i];
                s2 += gi * w[i] * xh;
                pws[i] = gi * xh;
                pbs[i] = gi;
            }
            FloatKernelsSimd.layerNormGradSums(x, off, g, off, w, 0.3f, 1.7f, pwv, pbv, n, mv);
            sums("layerNormGradSums n=" + n, new double[] {s1, s2}, mv, 1e-6);
            for (int i = 0; i < n; i++) {
                assertEquals(pws[i], pwv[i], 1e-6 * (1 + Math.abs(pws[i])), "pw");
                assertEquals(pbs[i], pbv[i], 1e-12, "pb");
            }
        }
    }
}
