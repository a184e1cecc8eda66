package dev.engram.engine;

/**
 * Switches gradient recording on or off for the current thread:
 * {@code try (var g = Grad.disabled()) { ... }} runs without building a graph.
 */
public final class Grad implements AutoCloseable {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private final boolean previous;

    private Grad(boolean enabled) {
        boolean[] flag = ENABLED.get();
        previous = flag[0];
        flag[0] = enabled;
    }

    /** Whether ops record the graph on this thread. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Disables recording until closed. */
    public static Grad disabled() {
        return new Grad(false);
    }

    /** Enables recording until closed (inside a disabled region). */
    public static Grad enabled() {
        return new Grad(true);
    }

    @Override
    public void close() {
        ENABLED.get()[0] = previous;
    }
}
