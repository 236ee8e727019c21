package dev.diffusion4j.engine.cpu;

/** Row-major single-precision GEMM: C = alpha op(A) op(B) + beta C. (Simple version; the blocked Vector API one replaces it.) */
public final class Sgemm {
    private Sgemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        Parallel.forRange(m, 4, (lo, hi) -> {
            float[] row = new float[n];
            for (int i = lo; i < hi; i++) {
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    if (transB) for (int j = 0; j < n; j++) row[j] += av * b[bOff + j * ldb + p];
                    else for (int j = 0; j < n; j++) row[j] += av * b[bOff + p * ldb + j];
                }
                for (int j = 0; j < n; j++) {
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0 ? alpha * row[j] : alpha * row[j] + beta * c[ci];
                }
            }
        });
    }
}
