package dev.diffusion4j.engine.cpu;

import static dev.diffusion4j.engine.cpu.SgemmKernel.L;
import static dev.diffusion4j.engine.cpu.SgemmKernel.NR;
import static dev.diffusion4j.engine.cpu.SgemmKernel.S;

import jdk.incubator.vector.FloatVector;

/**
 * Packs part of one GEMM operand for the micro-kernel. The operand is seen as an index x depth
 * matrix X: X = op(A) (m x k) for the left operand, X = op(B)^T (n x k) for the right one, so one
 * interface serves both sides. Convolutions implement it to read images directly (implicit im2col).
 */
interface GemmPacker {
    /**
     * Writes X[i0 + s*w + r][p0 + p] to dst[s*kc*w + p*w + r] for the ceil(len / w) slivers s of
     * width w (r < w, p < kc); rows at or past len are written as zeros. dst has {@link #SLACK}
     * floats beyond the packed size, which packers may scribble on.
     */
    void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst);

    /** Extra floats every pack buffer carries, for full-vector stores of a narrower last row. */
    int SLACK = L;

    /**
     * Packs all rows and the whole depth of src once, as slivers of width w (layout
     * [batch][sliver][k][w]), for an operand reused by many tiles or calls (convolution weights).
     * Batch item b reads packed batch b % batches (so per-group weights serve every image).
     */
    static Packed prepack(GemmPacker src, int batches, int rows, int k, int w) {
        return prepack(src, batches, rows, k, w, null);
    }

    /** Floats {@link #prepack} needs for its result. */
    static int prepackSize(int batches, int rows, int k, int w) {
        return batches * ((rows + w - 1) / w) * k * w + SLACK;
    }

    /**
     * As {@link #prepack(GemmPacker, int, int, int, int)}, packing into {@code reuse} when it holds
     * {@link #prepackSize} floats (a caller's scratch, so the result is valid only while the caller uses it).
     */
    static Packed prepack(GemmPacker src, int batches, int rows, int k, int w, float[] reuse) {
        int slivers = (rows + w - 1) / w, per = slivers * k * w, size = prepackSize(batches, rows, k, w);
        float[] data = reuse != null && reuse.length >= size ? reuse : new float[size];
        float[] tmp = batches == 1 ? data : new float[per + SLACK];
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

    /**
     * X[i][p] = x[off + i*ld + p]: rows of A (no transpose) or rows of B^T (B transposed). Packing
     * transposes; full slivers gather one p across the w rows per vector (lanes past w repeat the
     * last row and are overwritten by the next store, hence the slack in pack buffers).
     */
    record DepthContiguous(float[] x, int off, int ld, int batchStride) implements GemmPacker {
        @Override public void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst) {
            int base = off + batch * batchStride + p0;
            int[] idx = w <= L || w % L == 0 ? gatherIndex(w) : null;
            for (int s = 0; s * w < len; s++) {
                int r0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                int src0 = base + r0 * ld;
                if (rows == w && idx != null && (long) (w - 1) * ld <= Integer.MAX_VALUE / 2) {
                    for (int p = 0; p < kc; p++)
                        for (int v = 0; v < w; v += L)
                            FloatVector.fromArray(S, x, src0 + p + v * ld, idx, 0).intoArray(dst, d + p * w + v);
                    continue;
                }
                for (int r = 0; r < rows; r++) {
                    int src = src0 + r * ld;
                    for (int p = 0; p < kc; p++) dst[d + p * w + r] = x[src + p];
                }
                for (int r = rows; r < w; r++) for (int p = 0; p < kc; p++) dst[d + p * w + r] = 0f;
            }
        }

        /** Row offsets for one gathered vector: lane j reads row min(j, w - 1) (w <= L) or row j. */
        private int[] gatherIndex(int w) {
            int[] idx = new int[L];
            for (int j = 0; j < L; j++) idx[j] = Math.min(j, w - 1) * ld;
            return idx;
        }
    }

    /** X[i][p] = x[off + p*ld + i]: A transposed or B not transposed, a sliver row is contiguous. */
    record IndexContiguous(float[] x, int off, int ld, int batchStride) implements GemmPacker {
        @Override public void pack(int batch, int i0, int len, int p0, int kc, int w, float[] dst) {
            int base = off + batch * batchStride + p0 * ld;
            for (int s = 0; s * w < len; s++) {
                int r0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                if (rows == NR && w == NR) {
                    for (int p = 0, src = base + r0, o = d; p < kc; p++, src += ld, o += w) {
                        FloatVector.fromArray(S, x, src).intoArray(dst, o);
                        FloatVector.fromArray(S, x, src + L).intoArray(dst, o + L);
                    }
                    continue;
                }
                if (rows == w && w < L && base + (kc - 1) * ld + r0 + L <= x.length) {
                    // one vector per row of the sliver; its lanes past w are overwritten by the next row
                    for (int p = 0, src = base + r0, o = d; p < kc; p++, src += ld, o += w)
                        FloatVector.fromArray(S, x, src).intoArray(dst, o);
                    continue;
                }
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(x, base + p * ld + r0, dst, d + p * w, rows);
                    for (int r = rows; r < w; r++) dst[d + p * w + r] = 0f;
                }
            }
        }
    }
}
