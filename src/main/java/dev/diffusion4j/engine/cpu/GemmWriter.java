package dev.diffusion4j.engine.cpu;

import java.util.function.IntUnaryOperator;

/** Stores one micro-tile of C; lets convolutions write NCHW output (crop, bias) without a temporary. */
interface GemmWriter {
    /**
     * tile[r*NR + j] (r < rows, j < cols) holds the products for C rows i0.., columns j0.. of batch
     * item b over one depth block; first is true for the first depth block (overwrite, not add).
     */
    void write(int b, int i0, int j0, int rows, int cols, float[] tile, boolean first);

    /** A strided matrix per batch item: C = alpha * product + beta * C (beta == 0 never reads C). */
    record Matrix(float[] c, IntUnaryOperator off, int ldc, float alpha, float beta) implements GemmWriter {
        @Override public void write(int b, int i0, int j0, int rows, int cols, float[] tile, boolean first) {
            SgemmKernel.merge(tile, c, off.applyAsInt(b) + i0 * ldc + j0, ldc, rows, cols, alpha, first ? beta : 1f);
        }
    }
}
