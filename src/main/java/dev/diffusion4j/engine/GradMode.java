package dev.diffusion4j.engine;

/** Whether ops record the autograd graph on this thread. Use {@code try (var g = GradMode.off()) {...}} like torch.no_grad(). */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() { return ENABLED.get()[0]; }

    /** Disables recording until the returned scope is closed; restores the previous state. */
    public static Scope off() { return set(false); }

    public static Scope on() { return set(true); }

    private static Scope set(boolean value) {
        boolean[] cell = ENABLED.get();
        boolean prev = cell[0];
        cell[0] = value;
        return () -> cell[0] = prev;
    }

    /** A scope that restores the previous grad mode on close and throws nothing. */
    public interface Scope extends AutoCloseable { @Override void close(); }
}
