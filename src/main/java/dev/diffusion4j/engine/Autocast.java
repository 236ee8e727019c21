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
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadLocal<DType> ACTIVE = new ThreadLocal<>();

    private final DType previous;

    private Autocast(DType type) {
        previous = ACTIVE.get();
        if (type == null) ACTIVE.remove();
        else ACTIVE.set(type);
    }

    /** Computes matrix products, convolutions and attention on the GPU in bf16 until closed. */
    public static Autocast bf16() { return new Autocast(DType.BF16); }

    /** Turns autocast off until closed (for a part that must stay in f32 inside a bf16 scope). */
    public static Autocast off() { return new Autocast(null); }

    /** The type of the innermost open scope on this thread, or null when none is. */
    public static DType active() { return ACTIVE.get(); }

    /** x cast (differentiably) to the active type when a scope is open, x is an f32 CUDA tensor; else x itself. */
    static Tensor cast(Tensor x) {
        if (x == null) return null;
        DType t = outputType(x);
        return t == x.dtype() ? x : x.to(t);
    }

    /** The type an op that feeds a Linear should return for x: the active type for an f32 CUDA tensor in a scope, else x's. */
    static DType outputType(Tensor x) {
        DType t = ACTIVE.get();
        return t != null && x.dtype() == DType.F32 && x.device().isCuda() ? t : x.dtype();
    }

    @Override
    public void close() {
        if (previous == null) ACTIVE.remove();
        else ACTIVE.set(previous);
    }
}
