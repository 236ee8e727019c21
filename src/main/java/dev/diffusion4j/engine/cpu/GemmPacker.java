package dev.diffusion4j.engine.cpu;

/**
 * Packs part of one GEMM operand for the micro-kernel. The operand is seen as an index x depth
 * matrix X: X = op(A) (m x k) for the left operand, X = op(B)^T (n x k) for the right one, so one
 * interface serves both sides. Convolutions implement it to read images directly (implicit im2col).
 */
interface GemmPacker {
    /**
     * Writes X[i0 + s*w + r][p0 + p] to dst[s*kc*w + p*w + r] for the ceil(len / w) slivers s of
     * width w (r < w, p < kc); rows at or past len are written as zeros.
     */
    void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst);

    /**
     * Packs all rows and the whole depth of src once, as slivers of width w (layout
     * [batch][sliver][k][w]), for an operand reused by many tiles or calls (convolution weights).
     * Batch item b reads packed batch b % batches (so per-group weights serve every image).
     */
    static Packed prepack(GemmPacker src, int batches, int rows, int k, int w) {
        int slivers = (rows + w - 1) / w, per = slivers * k * w;
        float[] data = new float[batches * per], tmp = batches == 1 ? data : new float[per];
        for (int b = 0; b < batches; b++) {
            src.pack(b, 0, rows, 0, k, w, tmp);
            if (tmp != data) System.arraycopy(tmp, 0, data, b * per, per);
        }
        return new Packed(data, batches, slivers, k, w);
    }

    /** Pre-packed operand; the driver reads its slivers in place when w matches its register block. */
    record Packed(float[] data, int batches, int slivers, int k, int w) implements GemmPacker {
        int offset(int b, int sliver, int p0) { return ((b % batches * slivers + sliver) * k + p0) * w; }

        @Override public void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst) {
            if (w != this.w || i0 % w != 0) throw new IllegalArgumentException("pre-packed for width " + this.w);
            for (int s = 0; s * w < len; s++) System.arraycopy(data, offset(batch, i0 / w + s, p0), dst, s * kc * w, kc * w);
        }
    }

    /** A plain strided matrix (one per batch, batchStride apart). */
    static GemmPacker matrix(float[] x, int off, int ld, int batchStride, boolean depthContiguous) {
        return depthContiguous ? new DepthContiguous(x, off, ld, batchStride) : new IndexContiguous(x, off, ld, batchStride);
    }

    /** X[i][p] = x[off + i*ld + p]: rows of A (no transpose) or rows of B^T (B transposed). */
    record DepthContiguous(float[] x, int off, int ld, int batchStride) implements GemmPacker {
        @Override public void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst) {
            int base = off + batch * batchStride + p0;
            for (int s = 0; s * w < len; s++) {
                int r0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                for (int r = 0; r < rows; r++) {
                    int src = base + (r0 + r) * ld;
                    for (int p = 0; p < kc; p++) dst[d + p * w + r] = x[src + p];
                }
                for (int r = rows; r < w; r++) for (int p = 0; p < kc; p++) dst[d + p * w + r] = 0f;
            }
        }
    }

    /** X[i][p] = x[off + p*ld + i]: A transposed or B not transposed, a sliver row is contiguous. */
    record IndexContiguous(float[] x, int off, int ld, int batchStride) implements GemmPacker {
        @Override public void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst) {
            int base = off + batch * batchStride + p0 * ld;
            for (int s = 0; s * w < len; s++) {
                int r0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(x, base + p * ld + r0, dst, d + p * w, rows);
                    for (int r = rows; r < w; r++) dst[d + p * w + r] = 0f;
                }
            }
        }
    }
}
