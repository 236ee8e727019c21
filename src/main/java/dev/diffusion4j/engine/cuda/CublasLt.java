package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Products with the bias add fused into the GEMM's epilogue (cuBLASLt), in the row-major terms of {@link Cublas}: C =
 * op(A)·op(B) + bias, bias [n] broadcast over C's rows, so a Linear layer's output is written once instead of written,
 * read and written again by a separate bias pass; and, in the backward, the weight gradient with the bias gradient
 * summed in the same product ({@link Epilogue#BIAS_GRADIENT}). Each shape's descriptors and heuristic choice are built
 * on first use and kept (the plan also fixes the pointers' alignments, which are part of its key).
 */
final class CublasLt implements AutoCloseable {
    /** The fused epilogues this class offers. */
    enum Epilogue {
        /** None: a plain product, through cuBLASLt's kernels (split-K among them), as PyTorch's matmuls run. */
        NONE(CublasLtApi.EPILOGUE_DEFAULT),
        BIAS(CublasLtApi.EPILOGUE_BIAS),
        /** The bias, then GELU in its tanh approximation. */
        GELU_BIAS(CublasLtApi.EPILOGUE_GELU_BIAS),
        /**
         * No bias added: the bias pointer receives op(A)'s m row sums over the reduction instead, in C's type (cuBLASLt's
         * BGRADB, its B being our A): for C = gyᵀ·x, a Linear layer's bias gradient beside its weight gradient.
         */
        BIAS_GRADIENT(CublasLtApi.EPILOGUE_BGRADB),
        /**
         * The product times GELU's derivative (tanh approximation) at the GELU input read from the vector pointer, a
         * matrix laid out as C: a GELU's input gradient from the output gradient's product, no bias.
         */
        GELU_GRADIENT(CublasLtApi.EPILOGUE_DGELU),
        /** {@link #GELU_GRADIENT}, and the bias pointer receives that gradient's column sums (cuBLASLt's DGELU_BGRAD). */
        GELU_GRADIENT_BIAS_GRADIENT(CublasLtApi.EPILOGUE_DGELU_BGRAD);

        final int code;

        Epilogue(int code) { this.code = code; }

        /** Whether the epilogue reads a GELU input matrix from the aux pointer. */
        boolean readsAux() { return this == GELU_GRADIENT || this == GELU_GRADIENT_BIAS_GRADIENT; }

        /** Whether the epilogue reads or writes a vector at the bias pointer. */
        boolean usesBias() { return this != NONE && this != GELU_GRADIENT; }
    }

    // off by default: a timed pick can differ between processes (and so can the bits of products whose algorithms
    // split the reduction differently), where the heuristic's first choice is the same every run
    private static volatile boolean autotune = "true".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.cublasLtAutotune", "false").strip());

    /** Whether later plans time the heuristic's candidates and keep the fastest (-Ddiffusion4j.cuda.cublasLtAutotune). */
    static void setAutotune(boolean on) { autotune = on; }

    private static final int CANDIDATES = 8;

    private record Key(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc, Cublas.DataType type,
                       int computeType, Epilogue epilogue, int alignA, int alignB, int alignC, int alignBias, int alignAux) {}

    /** The descriptors of one shape and the heuristic's algorithm; none when cuBLASLt offered no algorithm. */
    private record Plan(long desc, long aLayout, long bLayout, long cLayout, MemorySegment algo) {}

    private static final Plan NONE = new Plan(0, 0, 0, 0, null);
    private static final int MAX_PLANS = 512;

    private final CudaContext context;
    private final long handle, workspace, workspaceBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment alpha = arena.allocate(JAVA_FLOAT), beta = arena.allocate(JAVA_FLOAT), pointer = arena.allocate(JAVA_LONG);
    // the most recently used plans; an evicted plan's descriptors are destroyed (calls already queued keep their own copies)
    private final Map<Key, Plan> plans = new LinkedHashMap<>(64, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Key, Plan> eldest) {
            if (size() <= MAX_PLANS) return false;
            if (eldest.getValue() != NONE) destroy(eldest.getValue());
            return true;
        }
    };
    private boolean closed;

    /** Runs on {@code context}'s stream with the given workspace (shared with the cuBLAS handle on the same stream). */
    CublasLt(CudaContext context, long workspace, long workspaceBytes) {
        this.context = context;
        context.makeCurrent();
        this.handle = CublasLtApi.create();
        this.workspace = workspace;
        this.workspaceBytes = workspaceBytes;
        beta.set(JAVA_FLOAT, 0, 0f);
    }

    /**
     * C[m×n] = op(A)·op(B) + bias, row-major (as {@link Cublas#gemm}), bias a contiguous vector of n elements of the
     * same type (for {@link Epilogue#BIAS_GRADIENT}: C = op(A)·op(B), and op(A)'s m row sums written to it instead).
     * Returns false, having queued nothing, when cuBLASLt has no algorithm for the product with this epilogue; the
     * caller then composes it.
     */
    boolean gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                 long c, int ldc, long bias, Cublas.DataType type, boolean tf32, Epilogue epilogue) {
        return gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, bias, 0, type, tf32, epilogue);
    }

    /**
     * {@link #gemm(boolean, boolean, int, int, int, float, long, int, long, int, long, int, long, Cublas.DataType, boolean, Epilogue)}
     * with an aux matrix: for the GELU gradients, the GELU input, [m×n] with C's leading dimension (and for
     * {@link Epilogue#GELU_GRADIENT_BIAS_GRADIENT} the bias pointer receives the result's n column sums).
     */
    synchronized boolean gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                              long c, int ldc, long bias, long aux, Cublas.DataType type, boolean tf32, Epilogue epilogue) {
        if (closed) throw new IllegalStateException("cuBLASLt handle used after close()");
        Cublas.checkShapes(transA, transB, m, n, k, lda, ldb, ldc, 1);
        if (type != Cublas.DataType.F32 && type != Cublas.DataType.BF16) return false;
        int compute = type == Cublas.DataType.F32 && tf32 ? CublasApi.CUBLAS_COMPUTE_32F_FAST_TF32 : CublasApi.CUBLAS_COMPUTE_32F;
        Key key = new Key(transA, transB, m, n, k, lda, ldb, ldc, type, compute, epilogue, alignment(a), alignment(b), alignment(c),
                epilogue.usesBias() ? alignment(bias) : 0, epilogue.readsAux() ? alignment(aux) : 0);
        context.makeCurrent();
        this.alpha.set(JAVA_FLOAT, 0, alpha);
        Operands ops = new Operands(a, b, c, bias, aux);
        Plan plan = plans.computeIfAbsent(key, q -> plan(q, ops));
        if (plan == NONE) return false;
        setPointers(plan.desc, epilogue, bias, aux);
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(context) : null;
        int rc = run(plan, plan.algo, ops);
        if (rc == CublasLtApi.CUBLAS_STATUS_NOT_SUPPORTED) {   // nothing queued: this shape goes to the composed path from now on
            if (span != null) span.end("cublasLtMatmul declined");
            plans.put(key, NONE);
            destroy(plan);
            return false;
        }
        if (rc != 0) CublasApi.check(rc, "cublasLtMatmul(m=" + m + ", n=" + n + ", k=" + k + ", " + type + ", epilogue " + epilogue + ")");
        if (span != null) span.end("cublasLtMatmul+" + epilogue.name().toLowerCase() + " " + m + "x" + n + "x" + k + " " + type);
        return true;
    }

    /** The device addresses of one call. */
    private record Operands(long a, long b, long c, long bias, long aux) {}

    // column-major, as Cublas.gemm: Cᵀ = op(B)ᵀ·op(A)ᵀ, so cuBLASLt's A is our B and its B our A
    private int run(Plan plan, MemorySegment algo, Operands o) {
        return CublasLtApi.matmul(handle, plan.desc, alpha, o.b, plan.aLayout, o.a, plan.bLayout, beta, o.c, plan.cLayout, o.c, plan.cLayout,
                algo, workspace, workspaceBytes, context.stream());
    }

    private void setPointers(long desc, Epilogue e, long bias, long aux) {
        if (e.usesBias()) {
            pointer.set(JAVA_LONG, 0, bias);
            CublasLtApi.setDesc(desc, CublasLtApi.DESC_BIAS_POINTER, pointer, 8);
        }
        if (e.readsAux()) {
            pointer.set(JAVA_LONG, 0, aux);
            CublasLtApi.setDesc(desc, CublasLtApi.DESC_EPILOGUE_AUX_POINTER, pointer, 8);
        }
    }

    private Plan plan(Key q, Operands ops) {
        int cuda = q.type.cuda;
        long desc = CublasLtApi.matmulDesc(q.computeType, CublasApi.CUDA_R_32F);
        long aL = 0, bL = 0, cL = 0, pref = 0;
        try {
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSA, q.transB ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSB, q.transA ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_EPILOGUE, q.epilogue.code);
            setPointers(desc, q.epilogue, ops.bias, ops.aux);   // the heuristic reads their alignments
            if (q.epilogue.readsAux()) {   // the aux matrix is laid out as D (column-major n x m, ld ldc)
                pointer.set(JAVA_LONG, 0, q.ldc);
                CublasLtApi.setDesc(desc, CublasLtApi.DESC_EPILOGUE_AUX_LD, pointer, 8);
            }
            // stored (column-major) shapes: cuBLASLt's A is our B (n x k as op'd), its B our A (k x m), D is n x m
            aL = CublasLtApi.layout(cuda, q.transB ? q.k : q.n, q.transB ? q.n : q.k, q.ldb);
            bL = CublasLtApi.layout(cuda, q.transA ? q.m : q.k, q.transA ? q.k : q.m, q.lda);
            cL = CublasLtApi.layout(cuda, q.n, q.m, q.ldc);
            pref = CublasLtApi.preference(workspaceBytes);
            CublasLtApi.setPreferenceInt(pref, CublasLtApi.PREF_MIN_ALIGNMENT_A, q.alignB);
            CublasLtApi.setPreferenceInt(pref, CublasLtApi.PREF_MIN_ALIGNMENT_B, q.alignA);
            CublasLtApi.setPreferenceInt(pref, CublasLtApi.PREF_MIN_ALIGNMENT_C, q.alignC);
            CublasLtApi.setPreferenceInt(pref, CublasLtApi.PREF_MIN_ALIGNMENT_D, q.alignC);
            MemorySegment results = Arena.ofAuto().allocate(CublasLtApi.HEURISTIC_RESULT_BYTES * CANDIDATES, 8);   // freed with its plan
            int count = CublasLtApi.algorithms(handle, desc, aL, bL, cL, cL, pref, autotune ? CANDIDATES : 1, results);
            Plan plan = new Plan(desc, aL, bL, cL, null);
            MemorySegment algo = count == 0 ? null : count == 1 || context.capturesOnThisThread() ? fits(results, 0) : fastest(plan, results, count, ops);
            if (algo != null) return new Plan(desc, aL, bL, cL, algo);
            destroy(plan);
            return NONE;
        } catch (RuntimeException e) {
            destroy(new Plan(desc, aL, bL, cL, null));
            throw e;
        } finally {
            if (pref != 0) CublasLtApi.destroyPreference(pref);
        }
    }

    /** Candidate i's algorithm, or null where it needs more workspace than there is. */
    private MemorySegment fits(MemorySegment results, int i) {
        MemorySegment r = results.asSlice(i * CublasLtApi.HEURISTIC_RESULT_BYTES, CublasLtApi.HEURISTIC_RESULT_BYTES);
        return r.get(JAVA_LONG, CublasLtApi.HEURISTIC_WORKSPACE_OFFSET) <= workspaceBytes ? r.asSlice(0, CublasLtApi.ALGO_BYTES) : null;
    }

    /**
     * The candidate that ran the call fastest (each once to warm up, then timed over two runs; the call's own operands,
     * whose outputs the real call then writes again); null when none ran.
     */
    private MemorySegment fastest(Plan plan, MemorySegment results, int count, Operands ops) {
        MemorySegment best = null;
        float bestMs = Float.MAX_VALUE;
        try (CudaEvent start = context.newEvent(); CudaEvent end = context.newEvent()) {
            for (int i = 0; i < count; i++) {
                MemorySegment algo = fits(results, i);
                if (algo == null || run(plan, algo, ops) != 0) continue;
                start.record();
                int rc = run(plan, algo, ops) | run(plan, algo, ops);
                end.record();
                float ms = end.millisSince(start);
                if (rc == 0 && ms < bestMs) {
                    bestMs = ms;
                    best = algo;
                }
            }
        }
        return best;
    }

    /** The largest power of two up to 256 that divides the address: what the plan may assume of it. */
    private static int alignment(long address) {
        return (int) Math.min(256, Long.lowestOneBit(address | 256));
    }

    private static void destroy(Plan p) {
        if (p.cLayout != 0) CublasLtApi.destroyLayout(p.cLayout);
        if (p.bLayout != 0) CublasLtApi.destroyLayout(p.bLayout);
        if (p.aLayout != 0) CublasLtApi.destroyLayout(p.aLayout);
        if (p.desc != 0) CublasLtApi.destroyMatmulDesc(p.desc);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        context.makeCurrent();
        for (Plan p : plans.values()) if (p != NONE) destroy(p);
        plans.clear();
        CublasLtApi.destroy(handle);
        arena.close();
    }
}
