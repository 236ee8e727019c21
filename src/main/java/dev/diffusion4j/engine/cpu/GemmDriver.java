package dev.diffusion4j.engine.cpu;

import static dev.diffusion4j.engine.cpu.SgemmKernel.MR;
import static dev.diffusion4j.engine.cpu.SgemmKernel.NR;

/**
 * Blocked GEMM over packed panels: C_b = X_b * Y_b^T for each batch b, where the packers supply
 * X (m x k) and Y (n x k) and a {@link GemmWriter} stores C (applying alpha, beta, bias, or a layout
 * of its own). In parallel, C is cut into tiles (see {@link #tiles}); each tile is one task that
 * packs its own panels per KC depth block, so tasks share nothing and need no barrier, at the
 * price of packing A once per column tile and B once per row tile.
 */
final class GemmDriver {
    // Blocking, read once per call (not final so that CpuBench's tune mode can sweep them in one JVM).
    /**
     * Depth block: a kc x NR sliver of B (48 KiB with AVX-512) stays in L1 while A slivers stream from L2.
     * KC 384 / MC 480 were 8-15% faster than 256 / 240 at n = 1024 and 2048 on the 2-core AVX-512 EPYC
     * (`CpuBench tune`, BENCHMARKS.md), the same at n = 256 and 512.
     */
    static int KC = Integer.getInteger("diffusion4j.gemm.kc", 384);
    /** Tile rows: the packed A block (MC x KC, 720 KiB) stays in a 1 MiB L2. */
    static int MC = Integer.getInteger("diffusion4j.gemm.mc", 480);
    /** Tile columns: the packed B panel (KC x NC) stays in L2 beside it. */
    static int NC = Integer.getInteger("diffusion4j.gemm.nc", 512);
    /** Below this many flops one thread is faster than waking the pool. */
    static final long PARALLEL_FLOPS = 1L << 21;

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private GemmDriver() {}

    /** Per-thread packing buffers, grown on demand and reused between calls. */
    static final class Work {
        float[] a = new float[0], b = new float[0];
        /** L floats of slack: writers may load a full vector from any column of the last row. */
        final float[] tile = new float[MR * NR + SgemmKernel.L];

        float[] a(int size) { return a.length >= size + GemmPacker.SLACK ? a : (a = new float[size + GemmPacker.SLACK]); }
        float[] b(int size) { return b.length >= size + GemmPacker.SLACK ? b : (b = new float[size + GemmPacker.SLACK]); }
    }

    /** Requires k >= 1 (callers handle empty depth themselves: nothing to pack). */
    static void run(int batch, int m, int n, int k, GemmPacker pa, GemmPacker pb, GemmWriter out) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        if (k <= 0) throw new IllegalArgumentException("k must be positive: " + k);
        long flops = 2L * batch * m * n * k;
        boolean parallel = Parallel.threads() > 1 && flops >= PARALLEL_FLOPS && !Parallel.inParallel();
        // pre-packed A (convolution weights) brings its own sliver height
        int mr = pa instanceof GemmPacker.Packed p && SgemmKernel.supports(p.w()) ? p.w() : MR;
        // One thread: one region per batch item (A packed once, B once per MC rows).
        int[] tiles = parallel ? tiles(batch, m, n, Parallel.threads(), mr) : new int[] {m, n};
        int mt = tiles[0], nt = tiles[1];
        int mTiles = ceilDiv(m, mt), nTiles = ceilDiv(n, nt);
        int kBlocks = ceilDiv(k, KC), kcMax = ceilDiv(k, kBlocks), mcBlock = roundUp(MC, mr), ncBlock = NC;
        int tasks = batch * mTiles * nTiles;
        Parallel.forChunks(tasks, parallel ? tasks : 1, (lo, hi) -> {
            Work w = WORK.get();
            float[] ap = w.a(roundUp(Math.min(mt, mcBlock), mr) * kcMax), bp = w.b(roundUp(Math.min(nt, ncBlock), NR) * kcMax);
            for (int t = lo; t < hi; t++) {
                int b = t / (mTiles * nTiles), r = t % (mTiles * nTiles);
                int i0 = (r % mTiles) * mt, j0 = (r / mTiles) * nt;
                region(b, i0, Math.min(mt, m - i0), j0, Math.min(nt, n - j0), k, kcMax, mr, mcBlock, ncBlock, pa, pb, out, ap, bp, w.tile);
            }
        });
    }

    /**
     * One region of C. Per depth block: each MC-row block of A is packed once (or read in place when
     * pre-packed), each NC-column panel of B once per row block; then NR-wide columns x mr-tall rows.
     */
    private static void region(int b, int i0, int m, int j0, int n, int k, int kcMax, int mr, int MC, int NC,
                               GemmPacker pa, GemmPacker pb, GemmWriter out, float[] ap, float[] bp, float[] tile) {
        GemmPacker.Packed pre = pa instanceof GemmPacker.Packed p && p.w() == mr ? p : null;
        for (int p0 = 0; p0 < k; p0 += kcMax) {
            int kc = Math.min(kcMax, k - p0);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = Math.min(MC, m - ic);
                float[] a = ap;
                int aBase = 0;
                if (pre == null) pa.pack(b, i0 + ic, mc, p0, kc, mr, ap);
                else { a = pre.data(); aBase = pre.offset(b, (i0 + ic) / mr, p0); }
                int aStep = pre == null ? kc * mr : pre.k() * mr;
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc);
                    pb.pack(b, j0 + jc, nc, p0, kc, NR, bp);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int bo = jr * kc, cols = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += mr) {
                            SgemmKernel.kernel(mr, a, aBase + (ir / mr) * aStep, bp, bo, kc, tile);
                            out.write(b, i0 + ic + ir, j0 + jc + jr, Math.min(mr, mc - ir), cols, tile, p0 == 0);
                        }
                    }
                }
            }
        }
    }

    /**
     * Task tiles {mt, nt} for a parallel run. Rows are split first (mt <= MC; a task packs its B
     * panel once, and B packing is the cheap contiguous copy), columns only once row tiles get
     * thin; until the task count is a multiple of the thread count, or large enough that the
     * remainder hardly matters.
     */
    static int[] tiles(int batch, int m, int n, int threads, int mr) {
        int mParts = ceilDiv(m, MC), nParts = 1;
        while (true) {
            int mt = roundUp(ceilDiv(m, mParts), mr), nt = roundUp(ceilDiv(n, nParts), NR);
            long tasks = (long) batch * ceilDiv(m, mt) * ceilDiv(n, nt);
            if (threads <= 1 || tasks >= 8L * threads || (tasks >= threads && tasks % threads == 0))
                return new int[] {mt, nt};
            if (mt > 8 * mr || (nt <= NR && mt > mr)) mParts++;
            else if (nt > NR) nParts++;
            else return new int[] {mt, nt};
        }
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    static int roundUp(int a, int b) { return ceilDiv(a, b) * b; }
}
