package dev.engram.nn.optim;

/**
 * A learning rate as a pure function of the global iteration (optimizer step) index, starting
 * at 0. The trainer sets {@code lr(s)} before the update of iteration {@code s}, which matches
 * PyTorch's {@code LambdaLR} stepped after every {@code optimizer.step()}. Being stateless, a
 * schedule resumes from a checkpoint by the global step alone.
 */
@FunctionalInterface
public interface LrSchedule {
    /** The learning rate of iteration {@code step} (0-based). */
    double lr(long step);

    /** Rejects negative steps with a message naming the schedule. */
    static void checkStep(long step, String schedule) {
        if (step < 0) throw new IllegalArgumentException(schedule + ": step must be >= 0, got " + step);
    }
}
