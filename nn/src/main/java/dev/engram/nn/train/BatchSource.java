package dev.engram.nn.train;

import java.util.Map;

/**
 * Mini-batches for each epoch. For exact resumption from a checkpoint the batches of an epoch
 * must depend only on the source's configuration and the epoch index (for example a shuffle
 * seeded by {@code (seed, epoch)}); sources with other mutable random state expose it through
 * {@link #state()} and {@link #restoreState(Map)}, which the trainer stores in checkpoints.
 *
 * <p>Batches are consumed inside the trainer's per-step tensor scope: tensors a source creates
 * for a batch are freed after the step unless the source {@code retain()}s them.
 */
public interface BatchSource {
    /** The batches of epoch {@code epoch} (0-based). */
    Iterable<LabeledBatch> epoch(int epoch);

    /** Number of batches {@link #epoch} yields (used for progress and schedules). */
    int batchesPerEpoch();

    /** Random-number state to checkpoint (seeds, counters); empty when the order depends only on the epoch. */
    default Map<String, Long> state() {
        return Map.of();
    }

    /** Restores what {@link #state()} returned. */
    default void restoreState(Map<String, Long> state) {}
}
