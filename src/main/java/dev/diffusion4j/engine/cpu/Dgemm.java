package dev.diffusion4j.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major double GEMM with the same contract as {@link Sgemm#gemm}. Used for float64 gradient
 * checks, so it aims at simple and correct: 4 rows x one vector of columns accumulated over k
 * (op(B) copied row-major first when transposed), rows of C split over threads.
 */
public final class Dgemm {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Dgemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                            double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                            double beta, double[] c, int cOff, int ldc) {
        Sgemm.checkArgs(m, n, k, 1);
        Sgemm.checkLd(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0) {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0 ? 0 : beta * c[ci];
                }
            return;
        }
        double[] bm = b;
        int bo = bOff, ld = ldb;
        if (transB) { // op(B)[p][j] = b[j*ldb + p] -> row-major k x n copy
            bm = new double[k * n];
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bm[p * n + j] = b[bOff + j * ldb + p];
            bo = 0;
            ld = n;
        }
        int ai = transA ? 1 : lda, ap = transA ? lda : 1;
        double[] B = bm;
        int bOff2 = bo, ldb2 = ld;
        int rowBlocks = (m + 3) / 4;
        Parallel.forRange(rowBlocks, Math.max(1, (int) (32768 / Math.max(1L, (long) n * k))), (lo, hi) -> {
            double[] acc = new double[4 * n];
            for (int rb = lo; rb < hi; rb++) {
                int i0 = rb * 4, rows = Math.min(4, m - i0);
                block(a, aOff + i0 * ai, ai, ap, rows, B, bOff2, ldb2, n, k, acc);
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < n; j++) {
                        int ci = cOff + (i0 + r) * ldc + j;
                        c[ci] = beta == 0 ? alpha * acc[r * n + j] : alpha * acc[r * n + j] + beta * c[ci];
                    }
            }
        });
    }

    /** acc[r*n + j] = sum_p A(r, p) * B[p][j] for r < rows (A(r, p) = a[ao + r*ai + p*ap]). */
    private static void block(double[] a, int ao, int ai, int ap, int rows, double[] b, int bo, int ldb,
                              int n, int k, double[] acc) {
        int j = 0;
        if (rows == 4) {
            for (; j + L <= n; j += L) {
                DoubleVector c0 = DoubleVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
                for (int p = 0; p < k; p++) {
                    DoubleVector bv = DoubleVector.fromArray(S, b, bo + p * ldb + j);
                    int x = ao + p * ap;
                    c0 = bv.fma(DoubleVector.broadcast(S, a[x]), c0);
                    c1 = bv.fma(DoubleVector.broadcast(S, a[x + ai]), c1);
                    c2 = bv.fma(DoubleVector.broadcast(S, a[x + 2 * ai]), c2);
                    c3 = bv.fma(DoubleVector.broadcast(S, a[x + 3 * ai]), c3);
                }
                c0.intoArray(acc, j);
                c1.intoArray(acc, n + j);
                c2.intoArray(acc, 2 * n + j);
                c3.intoArray(acc, 3 * n + j);
            }
        }
        for (int r = 0; r < rows; r++)
            for (int jj = j; jj < n; jj++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[ao + r * ai + p * ap] * b[bo + p * ldb + jj];
                acc[r * n + jj] = s;
            }
    }
}
