package dev.engram.nn.optim;

/**
 * Triangular one-cycle schedule: the learning rate rises linearly from 0 at step 0 to
 * {@code peak} at {@code peakStep}, then falls linearly to 0 at {@code totalSteps}, and stays 0
 * afterwards (NumPy's {@code interp([s], [0, peakStep, totalSteps], [0, peak, 0])}, as the
 * paper's retraining code uses).
 *
 * @param peak       the learning rate at {@code peakStep}
 * @param peakStep   where the triangle peaks ({@code 0 <= peakStep <= totalSteps})
 * @param totalSteps where the learning rate returns to 0 (> 0)
 */
public record OneCycleTriangular(double peak, long peakStep, long totalSteps) implements LrSchedule {
    /** Rejects a peak outside {@code [0, totalSteps]} and invalid learning rates. */
    public OneCycleTriangular {
        if (!(peak >= 0) || Double.isInfinite(peak)) throw new IllegalArgumentException("OneCycleTriangular: peak lr must be finite and >= 0, got " + peak);
        if (totalSteps <= 0 || peakStep < 0 || peakStep > totalSteps) {
            throw new IllegalArgumentException("OneCycleTriangular: need 0 <= peakStep <= totalSteps and totalSteps > 0, got peakStep "
                    + peakStep + ", totalSteps " + totalSteps);
        }
    }

    /**
     * Peaks after {@code peakEpoch} epochs and ends after {@code epochs}, with
     * {@code stepsPerEpoch} steps each (the paper's code uses {@code len(loader) + 1}); for
     * example peak 0.1 at epoch 10 of 20.
     */
    public static OneCycleTriangular forEpochs(double peak, int peakEpoch, int epochs, int stepsPerEpoch) {
        if (stepsPerEpoch <= 0) throw new IllegalArgumentException("OneCycleTriangular: stepsPerEpoch must be > 0, got " + stepsPerEpoch);
        return new OneCycleTriangular(peak, (long) peakEpoch * stepsPerEpoch, (long) epochs * stepsPerEpoch);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step, "OneCycleTriangular");
        if (step >= totalSteps) return 0;
        if (step <= peakStep) return peakStep == 0 ? peak : peak * step / peakStep;
        return peak * (totalSteps - step) / (double) (totalSteps - peakStep);
    }
}
