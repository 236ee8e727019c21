package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Products with the bias add fused into the GEMM's epilogue (cuBLASLt), in the row-major terms of {@link Cublas}: C =
 * op(A)·op(B) + bias, bias [n] broadcast over C's rows, so a Linear layer's output is written once instead of written,
 * read and written again by a separate bias pass; and, in the backward, the weight gradient with the bias gradient
 * summed in the same product ({@link Epilogue#BIAS_GRADIENT}). Each shape's descriptors and algorithm are chosen on
 * first use and kept (the plan also fixes the pointers' alignments, which are part of its key). With {@link #autotune()}
 * the first use times the heuristic's first few candidates on the call's own operands and keeps the fastest.
 */
final class CublasLt implements AutoCloseable {
    /** The fused epilogues this class offers. */
    enum Epilogue {
        /** The product alone (a plain product taken here for the algorithm timing, see {@link #autotune()}). */
        NONE(CublasLtApi.EPILOGUE_DEFAULT),
        BIAS(CublasLtApi.EPILOGUE_BIAS),
        /** The bias, then GELU in its tanh approximation. */
        GELU_BIAS(CublasLtApi.EPILOGUE_GELU_BIAS),
        /** {@link #GELU_BIAS}, and the GELU's input (the product plus the bias) written to the aux matrix, laid out as C. */
        GELU_AUX_BIAS(CublasLtApi.EPILOGUE_GELU_AUX_BIAS),
        /**
         * No bias added: the bias pointer receives op(A)'s m row sums over the reduction instead, in C's type (cuBLASLt's
         * BGRADB, its B being our A): for C = gyᵀ·x, a Linear layer's bias gradient beside its weight gradient.
         */
        BIAS_GRADIENT(CublasLtApi.EPILOGUE_BGRADB),
        /**
         * The product times GELU's derivative (tanh approximation) at the GELU input read from the vector pointer, a
         * matrix laid out as C: a GELU's input gradient from the output gradient's product, no bias.
         */
        GELU_GRADIENT(CublasLtApi.EPILOGUE_DGELU);

        final int code;

        Epilogue(int code) { this.code = code; }

        /** Whether the epilogue reads or writes a GELU input matrix at the aux pointer. */
        boolean usesAux() { return this == GELU_GRADIENT || this == GELU_AUX_BIAS; }

        /** Whether the epilogue reads or writes a vector at the bias pointer. */
        boolean usesBias() { return this != GELU_GRADIENT && this != NONE; }
    }

    private record Key(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc, Cublas.DataType type,
                       int computeType, Epilogue epilogue, int alignA, int alignB, int alignC, int alignBias, int alignAux) {}

    /** The descriptors of one shape and the heuristic's algorithm; none when cuBLASLt offered no algorithm. */
    private record Plan(long desc, long aLayout, long bLayout, long cLayout, MemorySegment algo) {}

    private static final Plan NONE = new Plan(0, 0, 0, 0, null);
    private static final int MAX_PLANS = 512;

    /**
     * Whether a new plan times up to {@link #CANDIDATES} of the heuristic's algorithms (-Ddiffusion4j.cuda.gemmAutotune):
     * a wait for the device once per plan key, on its first use outside a graph capture, and the choice kept on disk
     * for later processes ({@link GemmChoices}). Inside a capture a plan takes the choice kept on disk, or else the
     * heuristic's first (a capture cannot wait for the device). On by default since the sixteenth session: on an H100,
     * DiT-S/2 trained 1.1% and sampled 3.7% faster with it, DiT-B/2 1.3% and 2.8% (BENCHMARKS.md);
     * -Ddiffusion4j.cuda.gemmAutotune=false keeps the heuristic's first, and bf16 products without an epilogue go to
     * cublasGemmEx.
     */
    private static volatile boolean autotune = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.gemmAutotune", "true").strip());
    static final int CANDIDATES = Integer.getInteger("diffusion4j.cuda.gemmCandidates", 8);
    // a candidate replaces the heuristic's first only when this much faster, so that timing noise does not flip choices
    private static final double MARGIN = 0.97;
    private static final int TIMED_RUNS = 3;
    private static final AtomicLong TIMED_PLANS = new AtomicLong(), OTHER_CHOICES = new AtomicLong(), KEPT_CHOICES = new AtomicLong();

    // tests: time new plans even where the choices file has them, so that the timing itself is exercised
    private static volatile boolean retimeKept;

    static boolean autotune() { return autotune; }

    /** Whether new plans ignore the choices kept on disk and time their candidates (for tests); the previous setting. */
    static boolean setRetimeKept(boolean on) {
        boolean before = retimeKept;
        retimeKept = on;
        return before;
    }

    /** Whether plans made from now on time their candidates (tests run both); the previous setting. */
    static boolean setAutotune(boolean on) {
        boolean before = autotune;
        autotune = on;
        return before;
    }

    /**
     * How many plans so far timed their candidates, how many of those kept another than the heuristic's first, and how
     * many took a choice an earlier process kept.
     */
    static long[] autotuned() { return new long[] {TIMED_PLANS.get(), OTHER_CHOICES.get(), KEPT_CHOICES.get()}; }

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
    private GemmChoices choices;   // read on the first plan with more than one candidate
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
     * with an aux matrix, [m×n] with C's leading dimension: the GELU input, read ({@link Epilogue#GELU_GRADIENT}) or
     * written ({@link Epilogue#GELU_AUX_BIAS}).
     */
    synchronized boolean gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                              long c, int ldc, long bias, long aux, Cublas.DataType type, boolean tf32, Epilogue epilogue) {
        if (closed) throw new IllegalStateException("cuBLASLt handle used after close()");
        Cublas.checkShapes(transA, transB, m, n, k, lda, ldb, ldc, 1);
        if (type != Cublas.DataType.F32 && type != Cublas.DataType.BF16) return false;
        int compute = type == Cublas.DataType.F32 && tf32 ? CublasApi.CUBLAS_COMPUTE_32F_FAST_TF32 : CublasApi.CUBLAS_COMPUTE_32F;
        Key key = new Key(transA, transB, m, n, k, lda, ldb, ldc, type, compute, epilogue, alignment(a), alignment(b), alignment(c),
                epilogue.usesBias() ? alignment(bias) : 0, epilogue.usesAux() ? alignment(aux) : 0);
        context.makeCurrent();
        this.alpha.set(JAVA_FLOAT, 0, alpha);
        Plan plan = plans.computeIfAbsent(key, q -> plan(q, a, b, c, bias, aux));
        if (plan == NONE) return false;
        setPointers(plan.desc, epilogue, bias, aux);
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(context) : null;
        int rc = run(plan, plan.algo, a, b, c);
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

    private void setPointers(long desc, Epilogue e, long bias, long aux) {
        if (e.usesBias()) {
            pointer.set(JAVA_LONG, 0, bias);
            CublasLtApi.setDesc(desc, CublasLtApi.DESC_BIAS_POINTER, pointer, 8);
        }
        if (e.usesAux()) {
            pointer.set(JAVA_LONG, 0, aux);
            CublasLtApi.setDesc(desc, CublasLtApi.DESC_EPILOGUE_AUX_POINTER, pointer, 8);
        }
    }

    private Plan plan(Key q, long a, long b, long c, long bias, long aux) {
        int cuda = q.type.cuda;
        long desc = CublasLtApi.matmulDesc(q.computeType, CublasApi.CUDA_R_32F);
        long aL = 0, bL = 0, cL = 0, pref = 0;
        try {
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSA, q.transB ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSB, q.transA ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_EPILOGUE, q.epilogue.code);
            setPointers(desc, q.epilogue, bias, aux);   // the heuristic reads their alignments
            if (q.epilogue.usesAux()) {   // the aux matrix is laid out as D (column-major n x m, ld ldc)
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
            int max = autotune ? Math.max(1, CANDIDATES) : 1;
            MemorySegment results = Arena.ofAuto().allocate(max * CublasLtApi.HEURISTIC_RESULT_BYTES, 8);   // freed with its plan
            int found = CublasLtApi.algorithms(handle, desc, aL, bL, cL, cL, pref, max, results);
            List<MemorySegment> usable = new ArrayList<>(found);
            for (int i = 0; i < found; i++) {
                MemorySegment r = results.asSlice(i * CublasLtApi.HEURISTIC_RESULT_BYTES, CublasLtApi.HEURISTIC_RESULT_BYTES);
                if (r.get(JAVA_INT, CublasLtApi.HEURISTIC_STATE_OFFSET) == 0 && r.get(JAVA_LONG, CublasLtApi.HEURISTIC_WORKSPACE_OFFSET) <= workspaceBytes)
                    usable.add(r.asSlice(0, CublasLtApi.ALGO_BYTES));
            }
            if (usable.isEmpty()) {
                destroy(new Plan(desc, aL, bL, cL, null));
                return NONE;
            }
            Plan plan = new Plan(desc, aL, bL, cL, usable.get(0));
            if (usable.size() == 1) return plan;
            // a choice kept by an earlier process, else timed here (not inside a capture: the timing waits for the device)
            String name = q.toString();
            int pick = retimeKept ? -1 : choices().get(name);
            if (pick >= 0 && pick < usable.size()) KEPT_CHOICES.incrementAndGet();
            else if (context.capturesOnThisThread()) return plan;
            else pick = choices().keep(name, fastest(plan, usable, a, b, c));
            return new Plan(desc, aL, bL, cL, usable.get(pick));
        } catch (RuntimeException e) {
            destroy(new Plan(desc, aL, bL, cL, null));
            throw e;
        } finally {
            if (pref != 0) CublasLtApi.destroyPreference(pref);
        }
    }

    /**
     * The index of the candidate whose runs on the call's own operands took the least device time (one run untimed,
     * then {@link #TIMED_RUNS} timed): 0 (the heuristic's choice) unless another is faster by more than the margin. The
     * runs write only the outputs, which the call then overwrites (beta is 0).
     */
    private int fastest(Plan plan, List<MemorySegment> candidates, long a, long b, long c) {
        context.synchronize();   // every candidate starts on an idle stream, the first one too
        float[] ms = CandidateTiming.millis(context, candidates.size(), TIMED_RUNS, i -> run(plan, candidates.get(i), a, b, c) == 0);
        int pick = CandidateTiming.fastest(ms, MARGIN);
        TIMED_PLANS.incrementAndGet();
        if (pick != 0) OTHER_CHOICES.incrementAndGet();
        return pick;
    }

    private GemmChoices choices() {
        if (choices == null) {
            DeviceProperties p = context.properties();
            choices = GemmChoices.of(GemmChoices.file(KernelCache.defaultDirectory(), p.name(), p.computeCapability(), CublasLtApi.version()));
        }
        return choices;
    }

    private int run(Plan plan, MemorySegment algo, long a, long b, long c) {
        // column-major, as Cublas.gemm: Cᵀ = op(B)ᵀ·op(A)ᵀ, so cuBLASLt's A is our B and its B our A
        return CublasLtApi.matmul(handle, plan.desc, alpha, b, plan.aLayout, a, plan.bLayout, beta, c, plan.cLayout, c, plan.cLayout,
                algo, workspace, workspaceBytes, context.stream());
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
