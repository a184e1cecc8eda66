package dev.engram.nn.train;

/**
 * The loss became NaN or infinite, or the model or optimizer state did at the end of an epoch; the
 * message names the epoch, the step and the first bad parameter.
 */
public final class TrainingDivergedException extends IllegalStateException {
    private final int epoch;
    private final long globalStep;
    private final String parameter;

    TrainingDivergedException(String message, int epoch, long globalStep, String parameter) {
        super(message);
        this.epoch = epoch;
        this.globalStep = globalStep;
        this.parameter = parameter;
    }

    /** The epoch (1-based) in which the loss diverged. */
    public int epoch() {
        return epoch;
    }

    /** The global step (0-based) whose loss was non-finite. */
    public long globalStep() {
        return globalStep;
    }

    /**
     * Name of the first parameter (state-dict order) with a non-finite gradient, or, when the
     * state became non-finite at the end of an epoch, the first state-dict or optimizer-state
     * entry with a non-finite value; null if none.
     */
    public String parameter() {
        return parameter;
    }
}
