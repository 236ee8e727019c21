package dev.diffusion4j.engine;

/**
 * Mixed precision as {@code torch.autocast}: inside a scope, convolutions, matrix products (hence linear layers) and
 * attention on a GPU cast their f32 operands to the scope's type (bf16) and compute there, with f32 accumulation in
 * cuBLAS / cuDNN; everything else keeps the dtype it is given, and elementwise ops between types compute in the
 * wider one. Parameters stay f32 (the master copy the optimizer updates); their gradients come back through the
 * casts as f32. CPU tensors are left alone: the CPU backend computes in f32 and f64 only.
 *
 * <pre>{@code
 * try (var ac = Autocast.bf16()) {
 *     loss = F.mseLoss(model.forward(x, t, null), noise);   // bf16 activations; the loss promotes to f32
 * }
 * loss.backward();
 * }</pre>
 * Scopes nest and belong to the thread that opened them.
 *
 * <p>As torch.autocast's cast cache: without gradient recording ({@link GradMode#off}), the cast of a parameter (a
 * leaf that requires grad) is made once per outermost scope and reused by every later forward in it, so a sampling
 * loop casts the weights once, not at every step. The cache goes when the outermost bf16 scope closes, and whenever
 * weights are written in place ({@link #forgetCasts}: Parameter.copyFrom, an EMA swap, an optimizer step); inside an
 * {@link #off} scope nothing is cached.
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadLocal<DType> ACTIVE = new ThreadLocal<>();
    /** The outermost scope's cast cache: parameter tensor (by identity) to its casts by type (and forms of them, by name). */
    private static final ThreadLocal<java.util.IdentityHashMap<Tensor, java.util.Map<String, Tensor>>> CASTS = new ThreadLocal<>();
    /** Set while a graph is recorded: a cast made then holds values only once the graph replays, so it is not cached. */
    private static final ThreadLocal<Boolean> NO_NEW_CASTS = new ThreadLocal<>();
    /** Counts changes of the cast caches (a scope's cache made or dropped, casts forgotten): a recorded graph reads the casts of its generation. */
    private static final java.util.concurrent.atomic.AtomicLong GENERATION = new java.util.concurrent.atomic.AtomicLong();

    /** The outermost scope's copies of parameters made by {@link #castParameters} (parameter by identity to its copy). */
    private static final ThreadLocal<java.util.IdentityHashMap<Tensor, Tensor>> COPIES = new ThreadLocal<>();
    // on by default since the fifteenth session's GPU run of AutocastCastCacheTest and TrainingGraphGpuTest (each use of a
    // parameter records on a view of its own copy: uses sharing one tensor object lost a gradient);
    // -Ddiffusion4j.autocast.castParameters=false casts each parameter at its use
    private static volatile boolean castParametersTogether =
            !"false".equalsIgnoreCase(System.getProperty("diffusion4j.autocast.castParameters", "true").strip());

    /** How many scopes (of any type) are open on this thread: {@link #castParameters} works in the outermost alone. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final DType previous;
    private final boolean outermost;

    private Autocast(DType type) {
        DEPTH.get()[0]++;
        previous = ACTIVE.get();
        outermost = type != null && CASTS.get() == null;
        if (outermost) {
            CASTS.set(new java.util.IdentityHashMap<>());
            GENERATION.incrementAndGet();
        }
        if (type == null) ACTIVE.remove();
        else ACTIVE.set(type);
    }

    /** Computes matrix products, convolutions and attention on the GPU in bf16 until closed. */
    public static Autocast bf16() { return new Autocast(DType.BF16); }

    /** Turns autocast off until closed (for a part that must stay in f32 inside a bf16 scope). */
    public static Autocast off() { return new Autocast(null); }

    /** The type of the innermost open scope on this thread, or null when none is. */
    public static DType active() { return ACTIVE.get(); }

    /**
     * Casts these parameters (f32 GPU tensors) to the open scope's type now, in as few launches as the backend can (on
     * CUDA one per 96 tensors), where each would otherwise be cast at its use: a training step's forward under autocast
     * makes one cast per parameter, hundreds of tiny kernels. A use still records a cast of its own, whose gradient goes
     * back to f32 when Autograd accumulates it in the parameter (for all parameters at once, {@link Backend#castAll}).
     * The copies go when the outermost scope closes or weights change ({@link #forgetCasts}); the same values either way.
     * Nothing happens outside a scope, off the GPU, or with -Ddiffusion4j.autocast.castParameters=false.
     */
    public static void castParameters(java.util.List<Tensor> params) {
        DType t = ACTIVE.get();
        // the outermost scope only: its copies then go when it closes, and none outlives a graph recorded inside it
        if (t == null || CASTS.get() == null || DEPTH.get()[0] != 1 || !castParametersTogether) return;
        java.util.Map<Backend, java.util.List<Tensor>> byBackend = new java.util.IdentityHashMap<>();
        for (Tensor p : params) if (outputType(p) == t && p.dtype() != t) byBackend.computeIfAbsent(p.backend(), b -> new java.util.ArrayList<>()).add(p);
        if (byBackend.isEmpty()) return;
        var map = COPIES.get();
        if (map == null) COPIES.set(map = new java.util.IdentityHashMap<>());
        for (var e : byBackend.entrySet()) {
            java.util.List<Tensor> copies = e.getKey().castAll(e.getValue(), t);
            for (int i = 0; i < copies.size(); i++) map.put(e.getValue().get(i), copies.get(i));
        }
        GENERATION.incrementAndGet();   // a recorded graph that read earlier copies records anew
    }

    /** Turns {@link #castParameters} on or off for later calls; the previous setting. */
    public static boolean setCastParametersTogether(boolean on) {
        boolean before = castParametersTogether;
        castParametersTogether = on;
        return before;
    }

    /** x cast (differentiably) to the active type when a scope is open, x is an f32 CUDA tensor; else x itself. */
    static Tensor cast(Tensor x) {
        if (x == null) return null;
        DType t = outputType(x);
        return t == x.dtype() ? x : castParameter(x, t);
    }

    /**
     * p.to(t), made once per outermost scope when no gradient is recorded and p is a parameter (a leaf that requires
     * grad): the cast cache (see the class comment). Anything else is cast anew.
     */
    static Tensor castParameter(Tensor p, DType t) {
        Tensor copy = copyOf(p, t);
        return copy != null ? recordCopy(copy, p) : cached(cacheFor(p), t.id(), () -> p.to(t));
    }

    /** p's copy in type t made by {@link #castParameters}, or null. */
    private static Tensor copyOf(Tensor p, DType t) {
        var copies = COPIES.get();
        Tensor copy = copies == null ? null : copies.get(p);
        return copy != null && copy.dtype() == t ? copy : null;
    }

    /**
     * p's values in type t for an op that records p itself (its gradient goes to p in the op's backward): the copy
     * {@link #castParameters} made, else a cast made now (neither recorded).
     */
    static Tensor parameterValue(Tensor p, DType t) {
        if (p.dtype() == t) return p;
        Tensor copy = copyOf(p, t);
        return copy != null ? copy : p.backend().cast(p, t);
    }

    /**
     * A use of p's copy, recorded as a cast of p whose gradient (in the copy's type) goes back to p's type as Autograd
     * accumulates it. Each use gets a view of its own: a node lives on its output tensor, so uses sharing one tensor
     * would leave the earlier uses' products reading a released node (and dropping their gradients).
     */
    static Tensor recordCopy(Tensor copy, Tensor p) {
        return Autograd.record(copy.detach(), "to", gy -> new Tensor[] {gy}, p);
    }

    /**
     * make(cast), where cast is p in an op's compute type (castParameter's result, or p itself): kept in the cast cache
     * under the name form when p's casts would be (a convolution's filter in another memory layout, say), else made anew.
     * Like a cast, a form is a copy: weights written in place without {@link #forgetCasts} (anything but
     * Parameter.copyFrom and the optimizers) leave it stale until the outermost scope closes, even where p needs no cast.
     */
    static Tensor parameterForm(Tensor p, Tensor cast, String form, java.util.function.UnaryOperator<Tensor> make) {
        return cached(cacheFor(p), cast.dtype().id() + "/" + form, () -> make.apply(cast));
    }

    private static Tensor cached(java.util.Map<String, Tensor> cache, String key, java.util.function.Supplier<Tensor> make) {
        if (cache == null) return make.get();
        if (NO_NEW_CASTS.get() == null) return cache.computeIfAbsent(key, k -> make.get());
        Tensor hit = cache.get(key);
        return hit != null ? hit : make.get();
    }

    /** Runs {@code work} with cache hits served but no new casts cached (see NO_NEW_CASTS). */
    static <T> T withoutNewCasts(java.util.function.Supplier<T> work) {
        Boolean before = NO_NEW_CASTS.get();
        NO_NEW_CASTS.set(Boolean.TRUE);
        try {
            return work.get();
        } finally {
            if (before == null) NO_NEW_CASTS.remove();
        }
    }

    /** The generation of the cast caches (see GENERATION). */
    static long generation() { return GENERATION.get(); }

    /** Every cast this thread's open scope holds (a graph that read them keeps them alive). */
    static java.util.List<Tensor> cachedCasts() {
        var cache = CASTS.get();
        java.util.List<Tensor> all = new java.util.ArrayList<>();
        if (cache != null) for (var m : cache.values()) all.addAll(m.values());
        var copies = COPIES.get();
        if (copies != null) all.addAll(copies.values());
        return all;
    }

    /** p's entry of the cast cache, or null when p's casts are not cached (see the class comment). */
    private static java.util.Map<String, Tensor> cacheFor(Tensor p) {
        var cache = CASTS.get();
        if (cache == null || ACTIVE.get() == null || GradMode.isEnabled() || !p.isLeaf() || !p.requiresGrad()) return null;
        return cache.computeIfAbsent(p, k -> new java.util.HashMap<>());
    }

    /**
     * Drops this thread's cached casts: weights were written in place (Parameter.copyFrom, an optimizer step), so the
     * next cast in the open scope casts them anew. Nothing happens outside a scope.
     */
    public static void forgetCasts() {
        var cache = CASTS.get();
        if (cache != null) cache.clear();
        COPIES.remove();
        GENERATION.incrementAndGet();
    }

    /** The type an op that feeds a Linear should return for x: the active type for an f32 CUDA tensor in a scope, else x's. */
    static DType outputType(Tensor x) {
        DType t = ACTIVE.get();
        return t != null && x.dtype() == DType.F32 && x.device().isCuda() ? t : x.dtype();
    }

    @Override
    public void close() {
        DEPTH.get()[0]--;
        if (outermost) {
            CASTS.remove();
            COPIES.remove();
            GENERATION.incrementAndGet();
        }
        if (previous == null) ACTIVE.remove();
        else ACTIVE.set(previous);
    }
}
