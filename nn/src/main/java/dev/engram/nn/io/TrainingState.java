package dev.engram.nn.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where training stood when a checkpoint was written.
 *
 * @param epoch      completed epochs (0 for the initialization checkpoint)
 * @param globalStep optimizer steps taken so far
 * @param counters   integer state such as RNG seeds and counters, or counts kept by the trainer
 * @param metrics    measurements of the epoch that just ended (losses, accuracies, seconds)
 */
public record TrainingState(int epoch, long globalStep, Map<String, Long> counters, Map<String, Double> metrics) {
    /** Validates the counts and copies the maps (null means empty). */
    public TrainingState {
        if (epoch < 0 || globalStep < 0) {
            throw new IllegalArgumentException("TrainingState: epoch and globalStep must be >= 0, got " + epoch + ", " + globalStep);
        }
        counters = Collections.unmodifiableMap(new LinkedHashMap<>(counters == null ? Map.of() : counters));
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics == null ? Map.of() : metrics));
    }

    /** A state with no counters or metrics. */
    public static TrainingState of(int epoch, long globalStep) {
        return new TrainingState(epoch, globalStep, Map.of(), Map.of());
    }
}
