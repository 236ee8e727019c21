package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fused scaled dot-product attention (attention.cu): no [Lq, Lk] matrix per head, forward or backward; the forward
 * keeps the per-row log-sum-exp (f32, shaped [..., Lq]) as the backward's aux. Strided q, k, v (and gradient) views
 * are read in place when their batch dims fold into two strides (see {@link BatchFold}), else copied.
 *
 * <p>What it does not cover, so the backend's composed path runs instead: a mask, f64 (and mixed dtypes), a head dim
 * D or Dv above {@link AttentionTiles#MAX_HEAD_DIM}, empty inputs, and a device whose shared memory per block is
 * below what the tiles need.
 *
 * <p>When it runs ({@code -Ddiffusion4j.cuda.fusedAttention=auto|always|never}, default auto): measured on an H100
 * (CudaAttentionBench, 2026-12-05), the composed cuBLAS path is faster for bf16 forward+backward at [64,6,256,64]
 * (1.16 vs 1.49 ms) and [8,16,1024,72] (2.11 vs 8.76 ms); the fused kernels' gain is memory (73 vs 300 MiB and 109 vs
 * 1,186 MiB there). So auto runs them only where the composed path's [..., Lq, Lk] probabilities would take more
 * than {@link #AUTO_MIN_SCORES_BYTES}.
 */
final class CudaAttention {
    private static final int MAX_GRID_Y = 65535;   // row tiles go along grid y
    /** Where auto turns to the fused path: the size of the probabilities the composed path would keep. */
    static final long AUTO_MIN_SCORES_BYTES = 256L << 20;

    /** When the fused path runs. */
    enum Use { AUTO, ALWAYS, NEVER }

    private static volatile Use use = parseUse(System.getProperty("diffusion4j.cuda.fusedAttention", "auto"));

    private static Use parseUse(String v) {
        return switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Use.AUTO;
            case "always", "true" -> Use.ALWAYS;
            case "never", "false" -> Use.NEVER;
            default -> throw new IllegalArgumentException("-Ddiffusion4j.cuda.fusedAttention=" + v + ": expected auto, always or never");
        };
    }

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final int smemLimit;
    private final Set<Kernel> smemRaised = ConcurrentHashMap.newKeySet();

    CudaAttention(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
        this.smemLimit = backend.context().properties().sharedMemoryPerBlockOptin();
    }

    /** Sets when the fused path runs for later forwards (a backward follows whatever its forward did). */
    static void setUse(Use u) { use = u; }

    /** Whether the fused kernels take these operands (see the class comment for what they do not). */
    boolean covers(Tensor q, Tensor k, Tensor v, Tensor mask) {
        if (use == Use.NEVER || mask != null) return false;
        DType t = q.dtype();
        if ((t != DType.F32 && t != DType.BF16) || k.dtype() != t || v.dtype() != t) return false;
        if (q.numel() == 0 || k.numel() == 0 || v.numel() == 0) return false;
        int r = q.rank();
        if (use == Use.AUTO) {
            long lq = q.shape(r - 2), lk = k.shape(r - 2), heads = q.numel() / (lq * q.shape(r - 1));
            if (heads * lq * lk * (t == DType.BF16 ? 2 : 4) <= AUTO_MIN_SCORES_BYTES) return false;
        }
        AttentionTiles tiles = AttentionTiles.forHeadDim(Math.max(q.shape(r - 1), v.shape(r - 1)));
        long rows = Math.max(q.numel() / q.shape(r - 1), k.numel() / k.shape(r - 1));   // batch * L within int
        return tiles != null && tiles.maxSmemBytes() <= smemLimit && rows <= Integer.MAX_VALUE
                && Math.max(q.shape(r - 2), k.shape(r - 2)) <= MAX_GRID_Y * AttentionTiles.SIDE;
    }

    /** Whether an attention aux is this class's log-sum-exp ([..., Lq]) rather than the composed path's P ([..., Lq, Lk]). */
    static boolean holdsLse(Tensor aux, Tensor q) { return aux.rank() == q.rank() - 1; }

    /** {out, lse}: out [..., Lq, Dv] in q's dtype, lse [..., Lq] f32. */
    Tensor[] forward(Tensor q, Tensor k, Tensor v, double scale) {
        Shapes s = new Shapes(q, k, v);
        Tensor[] in = operands("attention", q, k, v);
        BatchFold fold = fold(s.batch, in);
        Tensor out = backend.alloc(s.withRows(s.lq, s.dv), s.dtype), lse = backend.alloc(s.withRows(s.lq), DType.F32);
        Kernel fn = kernel("attn_fwd_", s, s.tiles.forwardSmemBytes());
        launch(fn, fold.count(), s.lq, s.tiles.fwdQueryRows(), s.tiles.forwardSmemBytes(),
                fold.view(0, in[0]), fold.view(1, in[1]), fold.view(2, in[2]),
                new Object[] {CudaBackend.ptr(out), CudaBackend.ptr(lse), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
        return new Tensor[] {out, lse};
    }

    /** {dq, dk, dv, null} from the output gradient and what {@link #forward} returned. */
    Tensor[] backward(Tensor gOut, Tensor q, Tensor k, Tensor v, double scale, Tensor out, Tensor lse) {
        Shapes s = new Shapes(q, k, v);
        Tensor g = gOut.dtype() == s.dtype ? gOut : backend.cast(gOut, s.dtype);
        Tensor[] in = operands("attention backward", q, k, v, g);
        Tensor o = backend.contiguous(backend.onThisDevice(out, "attention backward"));
        Tensor l = backend.contiguous(backend.onThisDevice(lse, "attention backward"));
        BatchFold fold = fold(s.batch, in);
        int rows = fold.count() * s.lq;
        Tensor dq = backend.alloc(s.withRows(s.lq, s.d), s.dtype), dk = backend.alloc(s.withRows(s.lk, s.d), s.dtype);
        Tensor dv = backend.alloc(s.withRows(s.lk, s.dv), s.dtype);
        Object[] qv = fold.view(0, in[0]), kv = fold.view(1, in[1]), vv = fold.view(2, in[2]), gv = fold.view(3, in[3]);
        try (DeviceBuffer di = backend.scratch(4L * rows)) {
            Object[] dot = concat(gv, new Object[] {CudaBackend.ptr(o), di, fold.n2, s.lq, s.dv, rows});
            kernels.launchBlocks(kernels.get("attention", "attn_bwd_dot_" + CudaKernels.suffix(s.dtype), s.tiles.defines()),
                    (rows + 7L) / 8, dot);   // a warp per row, 8 warps a block
            Object[] tail = {CudaBackend.ptr(l), di};
            launch(kernel("attn_bwd_dq_", s, s.tiles.dqSmemBytes()), fold.count(), s.lq, s.tiles.fwdQueryRows(), s.tiles.dqSmemBytes(),
                    qv, kv, vv, gv, tail, new Object[] {CudaBackend.ptr(dq), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
            launch(kernel("attn_bwd_dkdv_", s, s.tiles.dkdvSmemBytes()), fold.count(), s.lk, s.tiles.bwdKeyRows(), s.tiles.dkdvSmemBytes(),
                    qv, kv, vv, gv, tail, new Object[] {CudaBackend.ptr(dk), CudaBackend.ptr(dv), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
        }
        return new Tensor[] {dq, dk, dv, null};
    }

    /** q, k, v [..., L, D] shapes and the tile configuration they fall in. */
    private static final class Shapes {
        final DType dtype;
        final int[] batch;
        final int lq, lk, d, dv;
        final AttentionTiles tiles;

        Shapes(Tensor q, Tensor k, Tensor v) {
            int r = q.rank();
            dtype = q.dtype();
            batch = Arrays.copyOf(q.shape(), r - 2);
            lq = q.shape(r - 2);
            lk = k.shape(r - 2);
            d = q.shape(r - 1);
            dv = v.shape(r - 1);
            tiles = AttentionTiles.forHeadDim(Math.max(d, dv));
        }

        int[] withRows(int... tail) {
            int[] shape = Arrays.copyOf(batch, batch.length + tail.length);
            System.arraycopy(tail, 0, shape, batch.length, tail.length);
            return shape;
        }
    }

    private Tensor[] operands(String op, Tensor... ts) {
        Tensor[] r = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) r[i] = backend.onThisDevice(ts[i], op);
        return r;
    }

    /** Folds the operands' batch dims; where their strides do not fold into two, copies them (in place in {@code in}). */
    private BatchFold fold(int[] batch, Tensor[] in) {
        BatchFold f = BatchFold.of(batch, in);
        if (f != null) return f;
        for (int i = 0; i < in.length; i++) in[i] = backend.contiguous(in[i]);
        return BatchFold.of(batch, in);   // contiguous tensors fold into one group
    }

    private Kernel kernel(String prefix, Shapes s, int smemBytes) {
        Kernel k = kernels.get("attention", prefix + CudaKernels.suffix(s.dtype), s.tiles.defines());
        if (smemRaised.add(k)) k.setMaxDynamicSharedMemory(smemBytes);
        return k;
    }

    /** A grid of (batch, tiles of tileRows along rows) blocks of 16 x 16 threads. */
    private static void launch(Kernel k, int batch, int rows, int tileRows, int smemBytes, Object[]... args) {
        k.launch(Dim3.of(batch, (rows + tileRows - 1) / tileRows), Dim3.of(AttentionTiles.THREADS), smemBytes, concat(args));
    }

    private static Object[] concat(Object[]... parts) {
        int n = 0;
        for (Object[] p : parts) n += p.length;
        Object[] all = new Object[n];
        int at = 0;
        for (Object[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
