package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fused scaled dot-product attention: no [Lq, Lk] matrix per head, forward or backward; the forward keeps the per-row
 * log-sum-exp (f32, shaped [..., Lq]) as the backward's aux. Strided q, k, v (and gradient) views are read in place
 * when their batch dims fold into two strides (see {@link BatchFold}), else copied.
 *
 * <p>What it does not cover, so the backend's composed path runs instead: a mask, f64 (and mixed dtypes), a head dim
 * D or Dv above {@link AttentionTiles#MAX_HEAD_DIM}, empty inputs, and a device whose shared memory per block is
 * below what the tiles need.
 *
 * <p>Two sets of kernels. For bf16, and for f32 where TF32 math is allowed ({@link CudaBackend#allowTf32}), with head
 * dims up to {@link #TENSOR_CORE_MAX_HEAD_DIM_BACKWARD} (forwards nobody differentiates: {@link #TENSOR_CORE_MAX_HEAD_DIM})
 * on sm_80 and later: the tensor-core kernels of attention_mma.cu, which also write their outputs in the inputs'
 * memory order (a head split of a fused qkv [B, L, 3, H, D] gives out, dq, dk and dv laid out as [B, L, H, D], so
 * merging the heads back costs no copy). Otherwise the f32-arithmetic kernels of attention.cu.
 * {@code -Ddiffusion4j.cuda.tensorCoreAttention=false} turns the first off. Measured on an H100 (CudaAttentionBench,
 * 2026-12-06): bf16 [256,6,256,64] forward+backward 1.61 ms against the composed path's 2.01 (forward 0.33 vs 1.30);
 * TF32 forward 0.79 vs 1.64 ms but forward+backward 5.1 vs 3.5 with the tensor-core backward, so in TF32 the backward
 * recomputes the probabilities from the log-sum-exp and runs the composed backward on them where they take at most
 * {@link #RECOMPUTE_MAX_SCORES_BYTES} (BENCHMARKS.md).
 *
 * <p>bf16 calls the tensor-core kernels would take go first to cuDNN's fused flash engines ({@link CudnnAttention}: head
 * dims up to 128 in multiples of 8, 16-byte aligned operands), where an engine takes the shape; {@code
 * -Ddiffusion4j.cuda.cudnnAttention=false} keeps them on the kernels.
 *
 * <p>When the f32-arithmetic kernels run ({@code -Ddiffusion4j.cuda.fusedAttention=auto|always|never}, default auto):
 * measured on an H100 (CudaAttentionBench, 2026-12-05), the composed cuBLAS path is faster for bf16 forward+backward at
 * [64,6,256,64] (1.16 vs 1.49 ms) and [8,16,1024,72] (2.11 vs 8.76 ms); their gain is memory (73 vs 300 MiB and 109 vs
 * 1,186 MiB there). So auto runs them only where the composed path's [..., Lq, Lk] probabilities would take more
 * than {@link #AUTO_MIN_SCORES_BYTES}. {@code never} turns both sets off.
 */
final class CudaAttention {
    private static final int MAX_GRID_Y = 65535;   // attention.cu's row tiles go along grid y
    /** Where auto turns to the fused path: the size of the probabilities the composed path would keep. */
    static final long AUTO_MIN_SCORES_BYTES = 256L << 20;
    /** The largest [..., Lq, Lk] f32 scores a TF32 backward recomputes (DiT-B/2 at batch 256: 805 MB); beyond, the kernels run. */
    static final long RECOMPUTE_MAX_SCORES_BYTES = 1L << 30;
    private static volatile long recomputeMaxScoresBytes = RECOMPUTE_MAX_SCORES_BYTES;

    /** When the fused path runs. */
    enum Use { AUTO, ALWAYS, NEVER }

    private static volatile Use use = parseUse(System.getProperty("diffusion4j.cuda.fusedAttention", "auto"));
    private static volatile boolean tensorCores = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.tensorCoreAttention", "true").strip());

    /** The largest head dims (D and Dv) the tensor-core forward and backward take (attention_mma.cu's DP bounds). */
    static final int TENSOR_CORE_MAX_HEAD_DIM = 256, TENSOR_CORE_MAX_HEAD_DIM_BACKWARD = 128;
    /** Rows of a tensor-core tile (query rows per block, keys per step) and threads per block: attention_mma.cu's TILE and NTHREADS. */
    private static final int MMA_TILE = 64, MMA_THREADS = 128;
    /**
     * The bf16 tensor-core forward's pipelined form (attention_mma.cu PIPE: double-buffered cp.async tiles, V read with
     * ldmatrix.trans instead of from a transposed tile); -Ddiffusion4j.cuda.attentionPipeline=false compiles the
     * single-buffered one.
     */
    static final boolean FORWARD_PIPELINE = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.attentionPipeline", "true"));
    /**
     * The same for the bf16 backward kernels (PIPE_BWD): DiT-S/2 b256 bf16 trained 11% faster with them on an H100
     * (BENCHMARKS.md, twelfth session), where CudaAttentionTest passed with them;
     * -Ddiffusion4j.cuda.attentionBackwardPipeline=false compiles the single-buffered ones.
     */
    static final boolean BACKWARD_PIPELINE = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.attentionBackwardPipeline", "true"));
    /**
     * Query rows per block of the pipelined bf16 forward (attention_mma.cu FWD_ROWS) for padded head dims up to
     * {@link #WIDE_FORWARD_MAX_HEAD_DIM} and more than 64 query rows: 64, or 128 with
     * {@code -Ddiffusion4j.cuda.attentionForwardRows=128}, each warp then taking 32 rows so that each K and V fragment
     * read from shared memory feeds two products. 128 gave the same bits but no speed on an H100 (DiT-S/2 b256 sampled
     * at 22,148 img*NFE/s against 64's 22,263; BENCHMARKS.md, twelfth session), so 64 stays the default.
     */
    static final int FORWARD_ROWS = parseForwardRows(System.getProperty("diffusion4j.cuda.attentionForwardRows", "64"));
    private static volatile int forwardRowsSetting = FORWARD_ROWS;
    /** Beyond this padded head dim a warp's 32 rows of accumulators would not fit in its registers. */
    static final int WIDE_FORWARD_MAX_HEAD_DIM = 80;

    /**
     * bf16 attention with head dims up to 128 through cuDNN's fused flash engines ({@link CudnnAttention}) where they
     * take the shape, the attention_mma kernels elsewhere; {@code -Ddiffusion4j.cuda.cudnnAttention=false} keeps the
     * kernels. On an H200 (cuDNN 9.19) DiT-S/2 b256 bf16 trained 12% and sampled 16% faster with them (BENCHMARKS.md,
     * thirteenth session), within bf16's bound of the CPU in f64 on every CudaAttentionTest case.
     */
    private static volatile boolean viaCudnn = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.cudnnAttention", "true"));

    /** Turns cuDNN's attention engines on or off for later calls (tests compare them with the kernels); the previous setting. */
    static boolean setCudnn(boolean on) {
        boolean before = viaCudnn;
        viaCudnn = on;
        return before;
    }

    /** Sets the forward's rows per block (64 or 128) for later calls (tests compare the two). */
    static void setForwardRows(int rows) { forwardRowsSetting = parseForwardRows(Integer.toString(rows)); }

    private static int parseForwardRows(String v) {
        return switch (v.strip()) {
            case "64" -> 64;
            case "128" -> 128;
            default -> throw new IllegalArgumentException("-Ddiffusion4j.cuda.attentionForwardRows=" + v + ": expected 64 or 128");
        };
    }

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
    private final boolean hasTensorCores;
    private final Set<Kernel> smemRaised = ConcurrentHashMap.newKeySet();
    private final CudnnAttention cudnn;

    CudaAttention(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
        this.smemLimit = backend.context().properties().sharedMemoryPerBlockOptin();
        this.hasTensorCores = backend.context().properties().computeCapability() >= 80;   // mma.sync with bf16 operands
        this.cudnn = new CudnnAttention(backend);
    }

    /** cuDNN's engines, for tests that ask why a shape went to the kernels. */
    CudnnAttention cudnnAttention() { return cudnn; }

    /** Whether a bf16 call of these head dims goes to cuDNN first. */
    private static boolean triesCudnn(Shapes s) { return viaCudnn && s.dtype == DType.BF16 && CudnnAttention.covers(s.d, s.dv); }

    /** Sets when the fused path runs for later forwards (a backward follows whatever its forward did). */
    static void setUse(Use u) { use = u; }

    /** Sets the recomputation's bound for later backwards (tests: 0 sends every TF32 backward to the kernels). */
    static void setRecomputeMaxScoresBytes(long bytes) { recomputeMaxScoresBytes = bytes; }

    /** Turns the tensor-core kernels on or off for later calls (both kinds of forward keep the same log-sum-exp). */
    static void setTensorCores(boolean on) { tensorCores = on; }

    /** Whether the tensor-core forward takes operands of this dtype, head dims and lengths. */
    private boolean onTensorCores(DType t, int d, int dv, int lq, int lk) {
        return tensorCores && use != Use.NEVER && hasTensorCores && (t == DType.BF16 || t == DType.F32 && CudaBackend.allowTf32())
                && Math.max(d, dv) <= TENSOR_CORE_MAX_HEAD_DIM
                && smemBytes(MmaKernel.FWD, t, padded(Math.max(d, dv)), false, MMA_TILE) <= smemLimit;   // the pipelined form only where it fits
    }

    private boolean onTensorCores(Shapes s) { return onTensorCores(s.dtype, s.d, s.dv, s.lq, s.lk); }

    /**
     * Whether the tensor-core backward kernels take them too. In TF32 only where {@link #recomputes} does not: their f32
     * tiles (half the blocks per SM, shuffles to rearrange P and dS) were slower than the composed path on an H100 (5.1
     * against 3.5 ms forward + backward at [256,6,256,64]), but they need no [..., Lq, Lk] memory.
     */
    private boolean backwardOnTensorCores(Shapes s) {
        int dp = padded(Math.max(s.d, s.dv));
        return onTensorCores(s) && !recomputes(s) && dp <= TENSOR_CORE_MAX_HEAD_DIM_BACKWARD
                && smemBytes(MmaKernel.DKDV, s.dtype, dp, false, MMA_TILE) <= smemLimit;
    }

    /**
     * Whether the backward of a TF32 tensor-core forward recomputes the probabilities from its log-sum-exp with cuBLAS
     * and runs the composed backward on them ({@link dev.diffusion4j.engine.Backend#attentionBackwardFromLse}): where
     * those [..., Lq, Lk] f32 temporaries (alive only during the backward) stay within {@link #recomputeMaxScoresBytes}.
     */
    private boolean recomputes(Shapes s) {
        return s.dtype == DType.F32 && onTensorCores(s) && 4L * s.batchCount() * s.lq * s.lk <= recomputeMaxScoresBytes;
    }

    /** Whether a tensor-core forward's gradient has a fast path: the tensor-core kernels or the recomputation. */
    private boolean backwardAfterTensorCores(Shapes s) { return backwardOnTensorCores(s) || recomputes(s); }

    /**
     * Whether the forward runs on the tensor cores: where a gradient will be asked of it, only when that gradient has a
     * fast path (beyond the bf16 backward's head dims attention.cu's backward is slower than the composed path's).
     */
    private boolean takesTensorCores(Tensor q, Tensor k, Tensor v, Shapes s) {
        boolean differentiated = GradMode.isEnabled() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        return onTensorCores(s) && (!differentiated || backwardAfterTensorCores(s)) && (use == Use.ALWAYS || !wideHeads(s));
    }

    /**
     * Head dims beyond the backward's (padded above 128), where the forward's tiles run at a fraction of cuBLAS's rate
     * (an H100, the DDPM U-Net's attention [256, 1, 256, 256] bf16: BENCHMARKS.md, issue 19): there auto leaves the
     * forward to the composed path unless its [..., Lq, Lk] probabilities would take more than {@link #AUTO_MIN_SCORES_BYTES}.
     */
    private boolean wideHeads(Shapes s) {
        return padded(Math.max(s.d, s.dv)) > TENSOR_CORE_MAX_HEAD_DIM_BACKWARD
                && s.batchCount() * s.lq * s.lk * (s.dtype == DType.BF16 ? 2 : 4) <= AUTO_MIN_SCORES_BYTES;
    }

    /** Whether the fused kernels take these operands (see the class comment for what they do not). */
    boolean covers(Tensor q, Tensor k, Tensor v, Tensor mask) {
        if (use == Use.NEVER || mask != null) return false;
        DType t = q.dtype();
        if ((t != DType.F32 && t != DType.BF16) || k.dtype() != t || v.dtype() != t) return false;
        if (q.numel() == 0 || k.numel() == 0 || v.numel() == 0) return false;
        int r = q.rank();
        if (takesTensorCores(q, k, v, new Shapes(q, k, v))
                && q.numel() / q.shape(r - 1) <= Integer.MAX_VALUE && k.numel() / k.shape(r - 1) <= Integer.MAX_VALUE) return true;
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
        if (takesTensorCores(q, k, v, s)) return forwardOnTensorCores(s, q, k, v, scale);
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
        if (recomputes(s)) return backend.attentionBackwardFromLse(gOut, q, k, v, scale, lse);
        if (backwardOnTensorCores(s)) {
            Tensor dq = allocInOrderOf(q, s.dtype), dk = allocInOrderOf(k, s.dtype), dv = allocInOrderOf(v, s.dtype);
            backwardOnTensorCores(s, gOut, q, k, v, scale, out, lse, dq, dk, dv);
            return new Tensor[] {dq, dk, dv, null};
        }
        Tensor g = gOut.dtype() == s.dtype ? gOut : backend.cast(gOut, s.dtype);
        Tensor[] in = operands("attention backward", q, k, v, g, out);
        Tensor l = backend.contiguous(backend.onThisDevice(lse, "attention backward"));
        BatchFold fold = fold(s.batch, in);
        int rows = fold.count() * s.lq;
        Tensor dq = backend.alloc(s.withRows(s.lq, s.d), s.dtype), dk = backend.alloc(s.withRows(s.lk, s.d), s.dtype);
        Tensor dv = backend.alloc(s.withRows(s.lk, s.dv), s.dtype);
        Object[] qv = fold.view(0, in[0]), kv = fold.view(1, in[1]), vv = fold.view(2, in[2]), gv = fold.view(3, in[3]);
        try (DeviceBuffer di = backend.scratch(4L * rows)) {
            launchDot(s, fold, gv, fold.view(4, in[4]), di, rows);
            Object[] tail = {CudaBackend.ptr(l), di};
            launch(kernel("attn_bwd_dq_", s, s.tiles.dqSmemBytes()), fold.count(), s.lq, s.tiles.fwdQueryRows(), s.tiles.dqSmemBytes(),
                    qv, kv, vv, gv, tail, new Object[] {CudaBackend.ptr(dq), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
            launch(kernel("attn_bwd_dkdv_", s, s.tiles.dkdvSmemBytes()), fold.count(), s.lk, s.tiles.bwdKeyRows(), s.tiles.dkdvSmemBytes(),
                    qv, kv, vv, gv, tail, new Object[] {CudaBackend.ptr(dk), CudaBackend.ptr(dv), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
        }
        return new Tensor[] {dq, dk, dv, null};
    }

    /**
     * Whether the tensor-core kernels would take q, k and v split from one packed qkv: then the packed path reads them in
     * place and writes the gradient packed ({@link #backwardPacked}).
     */
    boolean coversPacked(Tensor q, Tensor k, Tensor v) { return covers(q, k, v, null) && backwardAfterTensorCores(new Shapes(q, k, v)); }

    /** The gradient of attention over q, k, v = qkv[0], qkv[1], qkv[2], written into one tensor laid out as qkv is. */
    Tensor backwardPacked(Tensor gOut, Tensor qkv, double scale, Tensor out, Tensor lse) {
        Tensor q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
        Shapes s = new Shapes(q, k, v);
        Tensor grad = allocInOrderOf(qkv, qkv.dtype());
        Tensor[] dst = {grad.select(0, 0), grad.select(0, 1), grad.select(0, 2)};
        if (recomputes(s)) {   // one copy of a head-split qkv serves all the products (cuBLAS reads dense rows in place)
            Tensor dense = qkv.isContiguous() ? qkv : backend.contiguous(qkv);
            Tensor[] d = backend.attentionBackwardFromLse(gOut, dense.select(0, 0), dense.select(0, 1), dense.select(0, 2), scale, lse);
            if (dense != qkv) backend.releaseNow(dense);
            for (int i = 0; i < 3; i++) backend.copyInto(dst[i], d[i]);
            backend.releaseNow(d);
        } else {
            backwardOnTensorCores(s, gOut, q, k, v, scale, out, lse, dst[0], dst[1], dst[2]);
        }
        return grad;
    }

    private Tensor[] forwardOnTensorCores(Shapes s, Tensor q, Tensor k, Tensor v, double scale) {
        Tensor[] in = rowMajorOperands("attention", q, k, v);
        Tensor out = allocInOrderOf(in[0], s.withRows(s.lq, s.dv), s.dtype), lse = backend.alloc(s.withRows(s.lq), DType.F32);
        Tensor[] all = {in[0], in[1], in[2], out};
        BatchFold fold = BatchFold.of(s.batch, all);
        if (fold == null) {   // batch dims that do not fold: run on contiguous copies
            for (int i = 0; i < 3; i++) all[i] = backend.contiguous(all[i]);
            out = all[3] = backend.alloc(s.withRows(s.lq, s.dv), s.dtype);
            fold = BatchFold.of(s.batch, all);
        }
        int dp = padded(Math.max(s.d, s.dv));
        Object[] qv = fold.view(0, all[0]), kv = fold.view(1, all[1]), vv = fold.view(2, all[2]), ov = fold.view(3, all[3]);
        if (triesCudnn(s) && cudnn.forward(cudnnShape(s, fold, scale, qv, kv, vv, ov), qv, kv, vv, ov, lse)) return new Tensor[] {out, lse};
        launchMma(MmaKernel.FWD, s.dtype, dp, fold.count(), s.lq, s.lq, qv, kv, vv, ov,
                new Object[] {CudaBackend.ptr(lse), fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
        return new Tensor[] {out, lse};
    }

    /** Writes dq, dk and dv (tensors of q's, k's and v's shapes, any strides) for the tensor-core forward's out and lse. */
    private void backwardOnTensorCores(Shapes s, Tensor gOut, Tensor q, Tensor k, Tensor v, double scale, Tensor out, Tensor lse,
                                       Tensor dq, Tensor dk, Tensor dv) {
        Tensor g = gOut.dtype() == s.dtype ? gOut : backend.cast(gOut, s.dtype);
        Tensor[] in = rowMajorOperands("attention backward", q, k, v, g, out);
        Tensor l = backend.contiguous(backend.onThisDevice(lse, "attention backward"));
        Tensor[] dst = {dq, dk, dv}, all = {in[0], in[1], in[2], in[3], in[4], dq, dk, dv};
        boolean direct = dq.strides()[dq.rank() - 1] == 1 && dk.strides()[dk.rank() - 1] == 1 && dv.strides()[dv.rank() - 1] == 1;
        BatchFold fold = direct ? BatchFold.of(s.batch, all) : null;
        if (fold == null) {   // compute on contiguous copies into contiguous gradients, then copy those into place
            for (int i = 0; i < 5; i++) all[i] = backend.contiguous(all[i]);
            for (int i = 0; i < 3; i++) all[5 + i] = backend.alloc(dst[i].shape(), s.dtype);
            fold = BatchFold.of(s.batch, all);
        }
        int rows = fold.count() * s.lq, dp = padded(Math.max(s.d, s.dv));
        Object[][] view = new Object[all.length][];
        for (int i = 0; i < all.length; i++) view[i] = fold.view(i, all[i]);
        // view: q, k, v, dO, out, dq, dk, dv
        boolean viaCudnnEngines = triesCudnn(s) && cudnn.backward(cudnnShape(s, fold, scale, view[0], view[1], view[2], view[4], view[3],
                view[5], view[6], view[7]), view[0], view[1], view[2], view[4], view[3], l, view[5], view[6], view[7]);
        if (!viaCudnnEngines) {
            try (DeviceBuffer di = backend.scratch(4L * rows)) {
                if (!launchVectorDot(s, fold, view[3], view[4], di, rows, dp)) launchDot(s, fold, view[3], view[4], di, rows);
                Object[] tail = {CudaBackend.ptr(l), di};
                launchMma(MmaKernel.DQ, s.dtype, dp, fold.count(), s.lq, s.lq, view[0], view[1], view[2], view[3], tail, view[5],
                        new Object[] {fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
                launchMma(MmaKernel.DKDV, s.dtype, dp, fold.count(), s.lk, s.lq, view[0], view[1], view[2], view[3], tail, view[6], view[7],
                        new Object[] {fold.n2, s.lq, s.lk, s.d, s.dv, (float) scale});
            }
        }
        for (int i = 0; i < 3; i++) if (all[5 + i] != dst[i]) backend.copyInto(dst[i], all[5 + i]);
    }

    private static CudnnAttention.Shape cudnnShape(Shapes s, BatchFold fold, double scale, Object[]... views) {
        return new CudnnAttention.Shape(fold.n1, fold.n2, s.lq, s.lk, s.d, s.dv, CudnnAttention.strides(views), (float) scale);
    }

    /**
     * di = rowsum(dO * O) per query row with 16-byte loads (attention_mma.cu's mma_attn_dot: G lanes a row, G the power of
     * two that covers a row in 16-byte chunks) where both views' rows are such chunks; false, having queued nothing, where
     * they are not.
     */
    private boolean launchVectorDot(Shapes s, BatchFold fold, Object[] gView, Object[] outView, DeviceBuffer di, int rows, int dp) {
        int e = 16 / s.dtype.byteSize(), chunks = s.dv / e;
        if (chunks == 0 || s.dv % e != 0 || chunks > 32 || !chunkedRows(gView, e) || !chunkedRows(outView, e)) return false;
        int g = Integer.bitCount(chunks) == 1 ? chunks : Integer.highestOneBit(chunks) << 1, rowsPerBlock = 8 * (32 / g);
        kernels.launchBlocks(mmaKernel("mma_attn_dot", s.dtype, dp, s.lq), (rows + rowsPerBlock - 1L) / rowsPerBlock,
                concat(gView, outView, new Object[] {di, fold.n2, s.lq, s.dv, rows, g}));
        return true;
    }

    /** Whether a view's rows start 16-byte aligned with adjacent columns, e elements making 16 bytes. */
    private static boolean chunkedRows(Object[] view, int e) {
        long address = ((TensorPointer) view[0]).deviceAddress();
        return address % 16 == 0 && (long) view[1] % e == 0 && (long) view[2] % e == 0 && (long) view[3] % e == 0 && (long) view[4] == 1;
    }

    /** di = rowsum(dO * O) per query row (attention.cu's attn_bwd_dot, a warp per row, 8 warps a block). */
    private void launchDot(Shapes s, BatchFold fold, Object[] gView, Object[] outView, DeviceBuffer di, int rows) {
        Kernel dot = kernels.get("attention", "attn_bwd_dot_" + CudaKernels.suffix(s.dtype),
                AttentionTiles.forHeadDim(Math.min(Math.max(s.d, s.dv), AttentionTiles.MAX_HEAD_DIM)).defines());
        kernels.launchBlocks(dot, (rows + 7L) / 8, concat(gView, outView, new Object[] {di, fold.n2, s.lq, s.dv, rows}));
    }

    /** The three tensor-core kernels (attention_mma.cu's entry points, suffixed with the operand type). */
    private enum MmaKernel {
        FWD("mma_attn_fwd"), DQ("mma_attn_bwd_dq"), DKDV("mma_attn_bwd_dkdv");
        final String name;
        MmaKernel(String name) { this.name = name; }
    }

    /** Head dims padded to the tensor-core kernels' multiple of 16. */
    private static int padded(int d) { return (d + 15) / 16 * 16; }

    /**
     * Shared-memory bytes of a kernel, as attention_mma.cu's Tiles computes them (each kernel traps when given less):
     * bf16 tiles of 2-byte elements with rows padded by 8, TF32 ones of 4 bytes padded by 4; {@code piped}: a bf16
     * kernel's pipelined form, whose forward holds {@code forwardRows} query rows. A pipelined kernel falls back to the
     * single-buffered form for operands whose rows are not 16-byte chunks (the dK/dV one needs more then at head dims
     * 96-128), so it takes the larger of the two.
     */
    static int smemBytes(MmaKernel k, DType t, int dp, boolean piped, int forwardRows) {
        piped &= t == DType.BF16;
        return piped ? Math.max(tileBytes(k, t, dp, true, forwardRows), tileBytes(k, t, dp, false, forwardRows)) : tileBytes(k, t, dp, false, forwardRows);
    }

    /** The tiles of one form of a kernel (see {@link #smemBytes}). */
    private static int tileBytes(MmaKernel k, DType t, int dp, boolean piped, int forwardRows) {
        int eb = t == DType.BF16 ? 2 : 4, pad = t == DType.BF16 ? 8 : 4, lds = dp + pad, ldt = MMA_TILE + pad;
        return switch (k) {
            case FWD -> piped ? eb * (forwardRows + 4 * MMA_TILE) * lds : eb * (2 * MMA_TILE * lds + dp * ldt);   // piped: Q, two K and two V
            case DQ -> piped ? eb * 6 * MMA_TILE * lds : eb * (4 * MMA_TILE * lds + dp * ldt);   // piped: Q, dO, two K and two V
            case DKDV -> piped ? eb * 6 * MMA_TILE * lds + 4 * MMA_TILE * 4                      // piped: K, V, two Q and two dO
                    : eb * (4 * MMA_TILE * lds + 2 * dp * ldt) + 2 * MMA_TILE * 4;
        };
    }

    /** Whether the bf16 forward for padded head dim dp is the pipelined one here: switched on and within this device's shared memory. */
    private boolean forwardPiped(int dp) {
        return FORWARD_PIPELINE && smemBytes(MmaKernel.FWD, DType.BF16, dp, true, MMA_TILE) <= smemLimit;
    }

    private boolean backwardPiped(int dp) {
        return BACKWARD_PIPELINE && smemBytes(MmaKernel.DQ, DType.BF16, dp, true, MMA_TILE) <= smemLimit
                && smemBytes(MmaKernel.DKDV, DType.BF16, dp, true, MMA_TILE) <= smemLimit;
    }

    /**
     * Query rows per forward block for this dtype, padded head dim and query length (see {@link #FORWARD_ROWS}): 128
     * only for the pipelined bf16 forward where a block's second 64 rows are not all past the end.
     */
    private int forwardRows(DType t, int dp, int lq) {
        boolean wide = forwardRowsSetting == 2 * MMA_TILE && t == DType.BF16 && dp <= WIDE_FORWARD_MAX_HEAD_DIM && lq > MMA_TILE
                && forwardPiped(dp) && smemBytes(MmaKernel.FWD, t, dp, true, 2 * MMA_TILE) <= smemLimit;
        return wide ? 2 * MMA_TILE : MMA_TILE;
    }

    /**
     * attention_mma.cu's compile-time settings: padded head dim dp, whether the bf16 forward and backward are pipelined,
     * and the forward's query rows per block.
     */
    static String[] mmaDefines(int dp, boolean forwardPiped, boolean backwardPiped, int forwardRows) {
        return new String[] {"DP=" + dp, "PIPE=" + (forwardPiped ? 1 : 0), "PIPE_BWD=" + (backwardPiped ? 1 : 0), "FWD_ROWS=" + forwardRows};
    }

    /** The forward rows of the modules {@link CudaKernels#allVariants} compiles ahead: each module a forward of dp may take. */
    static int[] forwardRowsFor(int dp) {
        return forwardRowsSetting == 2 * MMA_TILE && FORWARD_PIPELINE && dp <= WIDE_FORWARD_MAX_HEAD_DIM ? new int[] {MMA_TILE, 2 * MMA_TILE} : new int[] {MMA_TILE};
    }

    /**
     * A 1-D grid of blocks of four warps, one per (batch entry, tile of rows along rows), a batch entry's tiles adjacent:
     * 64-row tiles, or the forward's rows per block. The backward kernels come from the same module as the forward
     * of the same shapes ({@code lq} picks it), so a training step compiles one.
     */
    private void launchMma(MmaKernel which, DType t, int dp, int batch, int rows, int lq, Object[]... args) {
        int forwardRows = forwardRows(t, dp, lq), tile = which == MmaKernel.FWD ? forwardRows : MMA_TILE;
        Kernel k = mmaKernel(which.name, t, dp, lq);
        int smem = smemBytes(which, t, dp, which == MmaKernel.FWD ? forwardPiped(dp) : backwardPiped(dp), forwardRows);
        if (smemRaised.add(k)) k.setMaxDynamicSharedMemory(smem);
        k.launch(Dim3.of(Math.toIntExact((long) batch * ((rows + tile - 1) / tile))), Dim3.of(MMA_THREADS), smem, concat(args));
    }

    /** Kernel {@code name}_dtype of the attention_mma module that attention of these shapes uses (one per dp and lq's forward rows). */
    private Kernel mmaKernel(String name, DType t, int dp, int lq) {
        return kernels.get("attention_mma", name + "_" + CudaKernels.suffix(t), mmaDefines(dp, forwardPiped(dp), backwardPiped(dp), forwardRows(t, dp, lq)));
    }

    /** The operands on this device, each copied to contiguous memory unless its columns are adjacent already. */
    private Tensor[] rowMajorOperands(String op, Tensor... ts) {
        Tensor[] r = operands(op, ts);
        for (int i = 0; i < r.length; i++) if (r[i].strides()[r[i].rank() - 1] != 1 && r[i].shape(r[i].rank() - 1) > 1) r[i] = backend.contiguous(r[i]);
        return r;
    }

    /** A new dense tensor of {@code like}'s shape whose dims lie in memory in the order of {@code like}'s strides. */
    private Tensor allocInOrderOf(Tensor like, DType dtype) { return allocInOrderOf(like, like.shape(), dtype); }

    /**
     * A new dense tensor of the given shape (like's rank) laid out in like's dim order: largest stride outermost, the last
     * dim innermost, ties in dim order. A head split [B, L, H, D].permute(0, 2, 1, 3) gives [B, H, L, D] stored as
     * [B, L, H, D].
     */
    private Tensor allocInOrderOf(Tensor like, int[] shape, DType dtype) {
        int r = shape.length;
        int[] st = like.strides();
        Integer[] order = new Integer[r - 1];
        for (int i = 0; i < r - 1; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(st[b], st[a]));   // stable: ties keep dim order
        int[] dense = new int[r], inverse = new int[r];
        for (int i = 0; i < r - 1; i++) {
            dense[i] = shape[order[i]];
            inverse[order[i]] = i;
        }
        dense[r - 1] = shape[r - 1];
        inverse[r - 1] = r - 1;
        Tensor t = backend.alloc(dense, dtype);
        return t.permute(inverse);
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

        long batchCount() {
            long n = 1;
            for (int b : batch) n *= b;
            return n;
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
