package dev.diffusion4j.engine;

/**
 * Counts model FLOPs while open, on this thread: 2 per multiply-add of the matmuls, convolutions and attention products
 * the ops run (the convention of model FLOPs utilisation; elementwise maps, norms and softmax are not counted). A
 * forward counted this way gives the FLOPs per image that MFU figures divide by; a training step is taken as three
 * forwards' worth (forward, and a backward of twice the products). Counters nest: an inner one's FLOPs count in the
 * outer one too.
 */
public final class FlopCounter implements AutoCloseable {
    private static final ThreadLocal<FlopCounter> ACTIVE = new ThreadLocal<>();

    private final FlopCounter outer;
    private long flops;

    private FlopCounter(FlopCounter outer) { this.outer = outer; }

    /** Starts counting on this thread until {@link #close()} (close nested counters innermost first, as try-with-resources does). */
    public static FlopCounter start() {
        FlopCounter c = new FlopCounter(ACTIVE.get());
        ACTIVE.set(c);
        return c;
    }

    /** FLOPs counted so far. */
    public long flops() { return flops; }

    @Override
    public void close() {
        if (ACTIVE.get() == this) ACTIVE.set(outer);
    }

    /** Adds 2 * multiplyAdds to every open counter of this thread. */
    static void multiplyAdds(long multiplyAdds) {
        for (FlopCounter c = ACTIVE.get(); c != null; c = c.outer) c.flops += 2 * multiplyAdds;
    }

    static boolean counting() { return ACTIVE.get() != null; }
}
