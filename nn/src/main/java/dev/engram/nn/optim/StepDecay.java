package dev.engram.nn.optim;

/**
 * Piecewise-constant decay as PyTorch's {@code StepLR}: {@code lr = base * gamma^floor(step / stepSize)}.
 *
 * @param base     learning rate of the first {@code stepSize} steps
 * @param stepSize steps between decays (> 0)
 * @param gamma    multiplicative factor per decay
 */
public record StepDecay(double base, long stepSize, double gamma) implements LrSchedule {
    /** Rejects non-positive step sizes and invalid rates. */
    public StepDecay {
        if (!(base >= 0) || Double.isInfinite(base)) throw new IllegalArgumentException("StepDecay: base lr must be finite and >= 0, got " + base);
        if (stepSize <= 0) throw new IllegalArgumentException("StepDecay: stepSize must be > 0, got " + stepSize);
        if (!(gamma >= 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("StepDecay: gamma must be finite and >= 0, got " + gamma);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step, "StepDecay");
        return base * Math.pow(gamma, step / stepSize);
    }
}
