package dev.diffusion4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked micro-kernels: an MR x NR block of C (NR = two vectors) accumulated in
 * registers over kc steps of packed A (kc x MR) and packed B (kc x NR) slivers.
 *
 * <p>The kernels only store their accumulators into a small tile buffer; {@link #merge} applies
 * alpha/beta and edges. Keeping the load/add/store of C out of the kernel keeps it under C2's
 * inlining node budget: past it the vector calls stop being intrinsified and every vector is
 * boxed (measured: 8 GFLOP/s instead of ~150 per core). For the same reason each row count has its own hand-unrolled
 * kernel with named accumulators: a loop over an accumulator array is not kept in registers.
 */
final class SgemmKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** 12 rows x 2 vectors = 24 accumulators needs 32 vector registers (AVX-512); else 6 rows (12 + 3 fit in 16). */
    static final int MR = L >= 16 ? 12 : 6;
    static final int NR = 2 * L;

    private SgemmKernel() {}

    /**
     * Row slivers for an A of m rows that is packed once and reused (convolution weights): 8 where 12-row slivers
     * would compute more padding rows (32 or 64 output channels: 36 or 72 rows computed for 32 or 64). The 8-row
     * kernel runs as fast as the 12-row one on L1-resident panels; with 8 rows for every GEMM, tiny's training steps
     * were slower (its backward GEMMs), so only the convolution forward takes it (BENCHMARKS.md, issue 19's CPU part).
     */
    static int rowsFor(int m) {
        return MR == 12 && GemmDriver.roundUp(m, 8) < GemmDriver.roundUp(m, 12) ? 8 : MR;
    }

    /** Whether {@link #kernel} has an mr-row variant. */
    static boolean supports(int mr) { return mr == MR || (mr == 8 && MR == 12); }

    /** tile[r*NR + j] = sum_p a[ao + p*mr + r] * b[bo + p*NR + j], mr one of {@link #supports}. */
    static void kernel(int mr, float[] a, int ao, float[] b, int bo, int kc, float[] tile) {
        if (mr == 12) kernel12(a, ao, b, bo, kc, tile);
        else if (mr == 8) kernel8(a, ao, b, bo, kc, tile);
        else kernel6(a, ao, b, bo, kc, tile);
    }

    private static void kernel12(float[] a, int ao, float[] b, int bo, int kc, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 12;
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);  c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);  c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);  c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);  c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);  c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6]);  c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7]);  c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ai + 8]);  c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ai + 9]);  c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ai + 10]); ca0 = x.fma(b0, ca0); ca1 = x.fma(b1, ca1);
            x = FloatVector.broadcast(S, a[ai + 11]); cb0 = x.fma(b0, cb0); cb1 = x.fma(b1, cb1);
        }
        c00.intoArray(t, 0);           c01.intoArray(t, L);
        c10.intoArray(t, NR);          c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR);      c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR);      c31.intoArray(t, 3 * NR + L);
        c40.intoArray(t, 4 * NR);      c41.intoArray(t, 4 * NR + L);
        c50.intoArray(t, 5 * NR);      c51.intoArray(t, 5 * NR + L);
        c60.intoArray(t, 6 * NR);      c61.intoArray(t, 6 * NR + L);
        c70.intoArray(t, 7 * NR);      c71.intoArray(t, 7 * NR + L);
        c80.intoArray(t, 8 * NR);      c81.intoArray(t, 8 * NR + L);
        c90.intoArray(t, 9 * NR);      c91.intoArray(t, 9 * NR + L);
        ca0.intoArray(t, 10 * NR);     ca1.intoArray(t, 10 * NR + L);
        cb0.intoArray(t, 11 * NR);     cb1.intoArray(t, 11 * NR + L);
    }

    private static void kernel8(float[] a, int ao, float[] b, int bo, int kc, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);  c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);  c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);  c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);  c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);  c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6]);  c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7]);  c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        c00.intoArray(t, 0);           c01.intoArray(t, L);
        c10.intoArray(t, NR);          c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR);      c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR);      c31.intoArray(t, 3 * NR + L);
        c40.intoArray(t, 4 * NR);      c41.intoArray(t, 4 * NR + L);
        c50.intoArray(t, 5 * NR);      c51.intoArray(t, 5 * NR + L);
        c60.intoArray(t, 6 * NR);      c61.intoArray(t, 6 * NR + L);
        c70.intoArray(t, 7 * NR);      c71.intoArray(t, 7 * NR + L);
    }

    private static void kernel6(float[] a, int ao, float[] b, int bo, int kc, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);     c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(t, 0);      c01.intoArray(t, L);
        c10.intoArray(t, NR);     c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR); c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR); c31.intoArray(t, 3 * NR + L);
        c40.intoArray(t, 4 * NR); c41.intoArray(t, 4 * NR + L);
        c50.intoArray(t, 5 * NR); c51.intoArray(t, 5 * NR + L);
    }

    /**
     * C[r][j] = alpha * tile[r][j] + beta * C[r][j] for r < rows, j < cols; beta == 0 never reads C
     * (so NaN garbage in an output buffer is overwritten, as BLAS does).
     */
    static void merge(float[] t, float[] c, int co, int ldc, int rows, int cols, float alpha, float beta) {
        if (cols == NR) {
            FloatVector va = FloatVector.broadcast(S, alpha), vb = FloatVector.broadcast(S, beta);
            for (int r = 0; r < rows; r++) {
                int ci = co + r * ldc, ti = r * NR;
                FloatVector t0 = FloatVector.fromArray(S, t, ti), t1 = FloatVector.fromArray(S, t, ti + L);
                if (beta == 0) {
                    t0.mul(va).intoArray(c, ci);
                    t1.mul(va).intoArray(c, ci + L);
                } else {
                    t0.fma(va, FloatVector.fromArray(S, c, ci).mul(vb)).intoArray(c, ci);
                    t1.fma(va, FloatVector.fromArray(S, c, ci + L).mul(vb)).intoArray(c, ci + L);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int ci = co + r * ldc, ti = r * NR;
            if (beta == 0) for (int j = 0; j < cols; j++) c[ci + j] = alpha * t[ti + j];
            else for (int j = 0; j < cols; j++) c[ci + j] = alpha * t[ti + j] + beta * c[ci + j];
        }
    }

    /**
     * C[r][j] = tile[r][j] + bias[bo + r] on the first depth block (bias may be null), else
     * C[r][j] += tile[r][j]: the convolution output path.
     */
    static void mergeBias(float[] t, float[] c, int co, int ldc, int rows, int cols, boolean first, float[] bias, int bo) {
        for (int r = 0; r < rows; r++) {
            int ci = co + r * ldc, ti = r * NR;
            if (cols == NR) {
                FloatVector t0 = FloatVector.fromArray(S, t, ti), t1 = FloatVector.fromArray(S, t, ti + L);
                if (first) {
                    float bv = bias == null ? 0f : bias[bo + r];
                    t0.add(bv).intoArray(c, ci);
                    t1.add(bv).intoArray(c, ci + L);
                } else {
                    t0.add(FloatVector.fromArray(S, c, ci)).intoArray(c, ci);
                    t1.add(FloatVector.fromArray(S, c, ci + L)).intoArray(c, ci + L);
                }
            } else if (first) {
                float bv = bias == null ? 0f : bias[bo + r];
                for (int j = 0; j < cols; j++) c[ci + j] = t[ti + j] + bv;
            } else {
                for (int j = 0; j < cols; j++) c[ci + j] += t[ti + j];
            }
        }
    }

    /**
     * As {@link #mergeBias} for tile columns tc .. tc+len-1 only (len <= NR), stored at C columns
     * 0 .. len-1; masked stores cover a run of any length without a scalar tail. The tile is read
     * with whole vectors (its buffer has L floats of slack past the last row; see GemmDriver.Work).
     */
    static void mergeBiasRun(float[] t, int tc, float[] c, int co, int ldc, int rows, int len, boolean first, float[] bias, int bo) {
        // Whole vectors unmasked, then one masked tail whose mask is made once: a mask per vector, and
        // masked accesses that reach past the end of c (a slow checked path), cost more than the adds.
        // No vector flows through a join (C2 would box it).
        int full = len & -L, tail = len - full;
        VectorMask<Float> m = S.indexInRange(0, tail);
        for (int r = 0; r < rows; r++) {
            int ci = co + r * ldc, ti = r * NR + tc, o = ci + full;
            boolean vecTail = tail > 0 && o + L <= c.length;
            if (first) {
                float bv = bias == null ? 0f : bias[bo + r];
                for (int v = 0; v < full; v += L) FloatVector.fromArray(S, t, ti + v).add(bv).intoArray(c, ci + v);
                if (vecTail) FloatVector.fromArray(S, t, ti + full).add(bv).intoArray(c, o, m);
                else for (int j = 0; j < tail; j++) c[o + j] = t[ti + full + j] + bv;
            } else {
                for (int v = 0; v < full; v += L)
                    FloatVector.fromArray(S, t, ti + v).add(FloatVector.fromArray(S, c, ci + v)).intoArray(c, ci + v);
                if (vecTail) FloatVector.fromArray(S, t, ti + full).add(FloatVector.fromArray(S, c, o, m)).intoArray(c, o, m);
                else for (int j = 0; j < tail; j++) c[o + j] += t[ti + full + j];
            }
        }
    }
}
