package dev.engram.nn.train;

import dev.engram.engine.DType;
import dev.engram.engine.Tensor;

import java.util.Arrays;

/**
 * One mini-batch: inputs {@code [B, ...]}, int32 labels {@code [B]} and the dataset indices of
 * its examples (made visible to layers through {@link dev.engram.nn.BatchContext} during the
 * forward pass).
 *
 * @param inputs     float32 inputs whose first axis is the batch
 * @param labels     int32 class labels {@code [B]}
 * @param exampleIds original dataset index of each example ({@code B} of them)
 */
public record LabeledBatch(Tensor inputs, Tensor labels, int[] exampleIds) {
    /** Checks that inputs, labels and ids agree on the batch size and that labels are int32. */
    public LabeledBatch {
        if (inputs == null || labels == null || exampleIds == null) {
            throw new IllegalArgumentException("LabeledBatch: inputs, labels and exampleIds are required");
        }
        if (inputs.rank() == 0) throw new IllegalArgumentException("LabeledBatch: inputs need a batch axis, got " + inputs.describe());
        int b = inputs.dim(0);
        if (labels.dtype() != DType.INT32 || labels.rank() != 1 || labels.dim(0) != b) {
            throw new IllegalArgumentException("LabeledBatch: labels must be int32 [" + b + "] to match inputs "
                    + inputs.describe() + ", got " + labels.describe());
        }
        if (exampleIds.length != b) {
            throw new IllegalArgumentException("LabeledBatch: " + exampleIds.length + " example ids for a batch of " + b);
        }
    }

    /** Number of examples. */
    public int size() {
        return exampleIds.length;
    }

    /** A copy of the examples' dataset indices. */
    @Override
    public int[] exampleIds() {
        return exampleIds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabeledBatch other && inputs == other.inputs && labels == other.labels
                && Arrays.equals(exampleIds, other.exampleIds);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(inputs) * 31 + Arrays.hashCode(exampleIds);
    }

    @Override
    public String toString() {
        return "LabeledBatch(" + size() + " examples, inputs " + inputs.describe() + ")";
    }
}
