package dev.diffusion4j.engine.cpu;

/**
 * Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T.
 * op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of the arrays as
 * stored. beta == 0 overwrites C without reading it (NaN in C is ignored, as in BLAS); alpha == 0
 * or k == 0 reads neither A nor B. Multithreaded through {@link Parallel}.
 */
public final class Sgemm {
    /** Below this many multiply-adds packing costs more than it saves. */
    private static final long SMALL = 4096;

    private Sgemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        gemmBatched(transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0, 1);
    }

    /**
     * {@code batch} independent products, operand i starting at off + i * stride (a stride of 0
     * broadcasts one operand over the batch). All products share one pool of parallel tasks.
     */
    public static void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   float[] a, int aOff, int lda, int strideA,
                                   float[] b, int bOff, int ldb, int strideB,
                                   float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        checkArgs(m, n, k, batch);
        checkLd(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 || alpha == 0) {
            for (int i = 0; i < batch; i++) scale(m, n, beta, c, cOff + i * strideC, ldc);
            return;
        }
        if ((long) m * n * k <= SMALL) {
            for (int i = 0; i < batch; i++)
                naive(transA, transB, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                        beta, c, cOff + i * strideC, ldc);
            return;
        }
        GemmPacker pa = GemmPacker.matrix(a, aOff, lda, strideA, !transA);
        GemmPacker pb = GemmPacker.matrix(b, bOff, ldb, strideB, transB);
        GemmDriver.run(batch, m, n, k, pa, pb, new GemmWriter.Matrix(c, i -> cOff + i * strideC, ldc, alpha, beta));
    }

    /** C = beta * C, with beta == 0 writing zeros without reading C. */
    static void scale(int m, int n, float beta, float[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            if (beta == 0) java.util.Arrays.fill(c, ci, ci + n, 0f);
            else if (beta != 1) for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }

    static void checkArgs(int m, int n, int k, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0)
            throw new IllegalArgumentException("negative gemm size: m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
    }

    /** As BLAS: each leading dimension covers a stored row (at least 1). */
    static void checkLd(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        int ra = Math.max(1, transA ? m : k), rb = Math.max(1, transB ? k : n), rc = Math.max(1, n);
        if (lda < ra || ldb < rb || ldc < rc)
            throw new IllegalArgumentException("gemm leading dimensions lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " must be at least " + ra + ", " + rb + ", " + rc + " (m=" + m + " n=" + n + " k=" + k
                    + " transA=" + transA + " transB=" + transB + ")");
    }

    /** Direct loops for tiny products, where packing would dominate. */
    private static void naive(boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float beta, float[] c, int cOff, int ldc) {
        int ai = transA ? 1 : lda, ap = transA ? lda : 1, bp = transB ? 1 : ldb, bj = transB ? ldb : 1;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                int x = aOff + i * ai, y = bOff + j * bj;
                for (int p = 0; p < k; p++) s += a[x + p * ap] * b[y + p * bp];
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
            }
        }
    }
}
