package dev.engram.memorization.metrics;

/**
 * A value that must be finite is NaN or infinite: a score, or the weights of a checkpoint that overflowed. Callers
 * that can go on without the affected result (the detection leaderboard leaves such a score out) catch this type
 * alone, so that other argument errors still surface.
 */
public final class NotFiniteException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** An exception with the given message, which names the value and where it is. */
    public NotFiniteException(String message) {
        super(message);
    }
}
