package dev.engram.nn.train;

import java.util.List;

/**
 * The record of a training run (including epochs restored from checkpoints on resume).
 *
 * @param epochs       per-epoch metrics in order
 * @param stoppedEarly whether the early-stopping rule ended training before the last epoch
 * @param globalStep   optimizer steps taken in total
 */
public record TrainingHistory(List<EpochMetrics> epochs, boolean stoppedEarly, long globalStep) {
    /** Copies the epoch list. */
    public TrainingHistory {
        epochs = List.copyOf(epochs);
    }

    /** The last epoch's metrics, or null when no epoch was trained. */
    public EpochMetrics last() {
        return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }
}
