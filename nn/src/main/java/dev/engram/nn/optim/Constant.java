package dev.engram.nn.optim;

/**
 * The same learning rate at every step.
 *
 * @param value the learning rate
 */
public record Constant(double value) implements LrSchedule {
    /** Rejects negative or non-finite learning rates. */
    public Constant {
        if (!(value >= 0) || Double.isInfinite(value)) throw new IllegalArgumentException("Constant: lr must be finite and >= 0, got " + value);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step, "Constant");
        return value;
    }
}
