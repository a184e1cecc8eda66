package dev.engram.engine;

import java.util.ArrayList;

/**
 * Switches gradient recording on or off for the current thread:
 * {@code try (var g = Grad.disabled()) { ... }} runs without building a graph.
 *
 * <p>The open contexts of a thread form a stack; recording follows the innermost one still open (on when none is).
 * Closing a context removes it wherever it is, so contexts closed out of order still leave the thread in the state of
 * those that remain open; closing one twice does nothing. A context belongs to the thread that opened it.
 */
public final class Grad implements AutoCloseable {
    private static final ThreadLocal<ArrayList<Grad>> OPEN = ThreadLocal.withInitial(ArrayList::new);

    private final boolean enabled;
    private final Thread owner = Thread.currentThread();
    private boolean closed;

    private Grad(boolean enabled) {
        this.enabled = enabled;
        OPEN.get().add(this);
    }

    /** Whether ops record the graph on this thread. */
    public static boolean isEnabled() {
        ArrayList<Grad> open = OPEN.get();
        return open.isEmpty() || open.get(open.size() - 1).enabled;
    }

    /** Disables recording until closed. */
    public static Grad disabled() {
        return new Grad(false);
    }

    /** Enables recording until closed (inside a disabled region). */
    public static Grad enabled() {
        return new Grad(true);
    }

    /**
     * Ends this context.
     *
     * @throws IllegalStateException when called on another thread than the one that opened it
     */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Grad: a context opened on thread '" + owner.getName() + "' was closed on thread '"
                    + Thread.currentThread().getName() + "'; close it on the thread that opened it");
        }
        closed = true;
        ArrayList<Grad> open = OPEN.get();
        for (int i = open.size() - 1; i >= 0; i--) {
            if (open.get(i) == this) {
                open.remove(i);
                break;
            }
        }
    }
}
