package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DgemmTest {
    @Test void matchesNaiveForAllTransposes() {
        SplittableRandom r = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {3, 5, 0}, {4, 8, 3}, {5, 9, 7}, {17, 33, 29}, {64, 70, 80}, {130, 3, 50}};
        for (int[] s : shapes)
            for (int t = 0; t < 4; t++) {
                int m = s[0], n = s[1], k = s[2];
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 1;
                double[] a = rand(r, (ta ? k : m) * lda + 3), b = rand(r, (tb ? n : k) * ldb + 3), c = rand(r, m * ldc + 3);
                double[] c0 = c.clone();
                double alpha = 0.7, beta = t == 3 ? 0 : -1.25;
                if (beta == 0) java.util.Arrays.fill(c, Double.NaN);
                Dgemm.gemm(ta, tb, m, n, k, alpha, a, 1, lda, b, 2, ldb, beta, c, 3, ldc);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int p = 0; p < k; p++)
                            sum += (ta ? a[1 + p * lda + i] : a[1 + i * lda + p]) * (tb ? b[2 + j * ldb + p] : b[2 + p * ldb + j]);
                        double want = alpha * sum + (beta == 0 ? 0 : beta * c0[3 + i * ldc + j]);
                        double got = c[3 + i * ldc + j];
                        if (!(Math.abs(got - want) <= 1e-12 * (k + 1)))
                            fail("m=" + m + " n=" + n + " k=" + k + " t=" + t + " got " + got + " want " + want);
                    }
            }
    }

    static double[] rand(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextDouble(-1, 1);
        return x;
    }
}
