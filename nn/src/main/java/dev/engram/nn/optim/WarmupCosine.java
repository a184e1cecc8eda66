package dev.engram.nn.optim;

/**
 * Linear warm-up followed by cosine decay to zero, the training schedule of the memorization
 * paper's code. With {@code T = totalSteps} and {@code W = floor(0.1 * T)}:
 * <pre>
 *   s &lt; W:  lr = peak * s / (W - 1)
 *   s &gt;= W: lr = 0.5 * peak * (1 + cos(pi * (s - W) / (T - W)))
 * </pre>
 * so the warm-up reaches {@code peak} at step {@code W - 1} and the decay starts at {@code peak}
 * at step {@code W}. When {@code W == 1} the single warm-up step has learning rate 0 (the
 * warm-up's starting value; the closed form would divide by zero); when {@code W == 0} there is
 * no warm-up. Steps at or beyond {@code T} get 0.
 *
 * <p>The paper's code counts {@code len(loader) + 1} steps per epoch, so
 * {@code T = epochs * (batchesPerEpoch + 1)}: see {@link #forEpochs}.
 *
 * @param peak       the largest learning rate
 * @param totalSteps T, the number of steps the schedule spans (> 0)
 */
public record WarmupCosine(double peak, long totalSteps) implements LrSchedule {
    /** Rejects non-positive lengths and invalid learning rates. */
    public WarmupCosine {
        if (!(peak >= 0) || Double.isInfinite(peak)) throw new IllegalArgumentException("WarmupCosine: peak lr must be finite and >= 0, got " + peak);
        if (totalSteps <= 0) throw new IllegalArgumentException("WarmupCosine: totalSteps must be > 0, got " + totalSteps);
    }

    /**
     * The schedule as the paper's code builds it: {@code T = epochs * (batchesPerEpoch + 1)}
     * (its scheduler counts one step more per epoch than there are batches).
     */
    public static WarmupCosine forEpochs(double peak, int epochs, int batchesPerEpoch) {
        if (epochs <= 0 || batchesPerEpoch <= 0) {
            throw new IllegalArgumentException("WarmupCosine: epochs and batchesPerEpoch must be > 0, got " + epochs + ", " + batchesPerEpoch);
        }
        return new WarmupCosine(peak, (long) epochs * (batchesPerEpoch + 1));
    }

    /** W, the number of warm-up steps: {@code (long) (0.1 * T)}, as Python's {@code int(0.1 * T)}. */
    public long warmupSteps() {
        return (long) (0.1 * totalSteps);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step, "WarmupCosine");
        long w = warmupSteps();
        if (step >= totalSteps) return 0;
        if (step < w) return w <= 1 ? 0 : peak * step / (w - 1);
        return 0.5 * peak * (1 + Math.cos(Math.PI * (step - w) / (totalSteps - w)));
    }
}
