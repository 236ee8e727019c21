package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SgemmTest {
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 5, 0}, {2, 3, 1}, {12, 32, 16}, {13, 33, 17}, {11, 31, 257},
        {7, 64, 5}, {64, 7, 300}, {97, 101, 103}, {128, 129, 127}, {250, 67, 513}, {37, 530, 260},
        {300, 520, 131}, {241, 513, 40}, {1, 600, 300}, {600, 1, 300}, {3, 3, 2000}, {500, 70, 800},
    };

    /** A random operand with offset and padded leading dimension, so strides are exercised. */
    record Mat(float[] v, int off, int ld) {
        static Mat random(int rows, int cols, SplittableRandom r) {
            int ld = cols + r.nextInt(3), off = r.nextInt(4);
            float[] v = new float[off + Math.max(0, rows - 1) * ld + cols + 2];
            for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
            return new Mat(v, off, Math.max(1, ld));
        }
        double at(int i, int j) { return v[off + i * ld + j]; }
    }

    @Test void allShapesAndTransposes() {
        SplittableRandom r = new SplittableRandom(42);
        for (int[] s : SHAPES)
            for (int t = 0; t < 4; t++) check(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 1.5f, 0.5f, r);
    }

    @Test void betaZeroIgnoresNaNInC() {
        SplittableRandom r = new SplittableRandom(1);
        for (int[] s : new int[][] {{2, 3, 4}, {50, 70, 90}, {130, 140, 300}})
            for (int t = 0; t < 4; t++) check(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 0.75f, 0f, r);
    }

    @Test void alphaZeroOnlyScalesC() {
        SplittableRandom r = new SplittableRandom(2);
        check(40, 50, 60, false, true, 0f, 2f, r);
        check(40, 50, 60, true, false, 0f, 0f, r);
    }

    private static void check(int m, int n, int k, boolean ta, boolean tb, float alpha, float beta, SplittableRandom r) {
        Mat a = ta ? Mat.random(k, m, r) : Mat.random(m, k, r);
        Mat b = tb ? Mat.random(n, k, r) : Mat.random(k, n, r);
        Mat c = Mat.random(m, n, r);
        float[] c0 = c.v.clone();
        if (beta == 0) java.util.Arrays.fill(c.v, Float.NaN);
        Sgemm.gemm(ta, tb, m, n, k, alpha, a.v, a.off, a.ld, b.v, b.off, b.ld, beta, c.v, c.off, c.ld);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a.at(p, i) : a.at(i, p), y = tb ? b.at(j, p) : b.at(p, j);
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                double old = c0[c.off + i * c.ld + j];
                double want = alpha * s + (beta == 0 ? 0 : beta * old);
                double tol = 4e-7 * (k + 4) * (Math.abs(alpha) * abs + Math.abs(beta * old)) + 1e-30;
                double got = c.v[c.off + i * c.ld + j];
                if (!(Math.abs(got - want) <= tol))
                    fail("m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " C[" + i + "][" + j + "]=" + got + " want " + want);
            }
        // untouched padding between rows of C
        for (int i = 0; i + 1 < m; i++)
            for (int j = n; j < c.ld; j++) {
                int idx = c.off + i * c.ld + j;
                assertTrue(beta == 0 ? Float.isNaN(c.v[idx]) : c.v[idx] == c0[idx], "wrote outside C");
            }
    }

    /** Inside a parallel chunk one thread runs the whole product as one region (several row and column blocks). */
    @Test void nestedCallCoversLargeRegions() {
        Parallel.forRange(2, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) check(300 + i, 600, 50, i == 1, i == 0, 1f, 0f, new SplittableRandom(40 + i));
        });
    }

    @Test void rejectsShortLeadingDimensions() {
        float[] x = new float[100];
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Sgemm.gemm(false, false, 4, 5, 6, 1f, x, 0, 5, x, 0, 5, 0f, x, 0, 5));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Sgemm.gemm(false, true, 4, 5, 6, 1f, x, 0, 6, x, 0, 5, 0f, x, 0, 5));
    }

    @Test void batchedWithBroadcastOperand() {
        SplittableRandom r = new SplittableRandom(3);
        int m = 33, n = 45, k = 70, batch = 5;
        float[] a = new float[batch * m * k], b = new float[k * n], c = new float[batch * m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
        Sgemm.gemmBatched(false, false, m, n, k, 1f, a, 0, k, m * k, b, 0, n, 0, 0f, c, 0, n, m * n, batch);
        float[] one = new float[m * n];
        for (int t = 0; t < batch; t++) {
            Sgemm.gemm(false, false, m, n, k, 1f, a, t * m * k, k, b, 0, n, 0f, one, 0, n);
            for (int i = 0; i < m * n; i++) assertEquals(one[i], c[t * m * n + i], 1e-5f * k);
        }
    }
}
