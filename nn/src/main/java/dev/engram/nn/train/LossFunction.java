package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;

/** The scalar training objective of a batch given the model's output. */
@FunctionalInterface
public interface LossFunction {
    /** A one-element loss for {@code logits} of {@code batch} (labels on the logits' device). */
    Tensor compute(Tensor logits, LabeledBatch batch);

    /**
     * The training loss of {@code batch} in epoch {@code epoch} (1-based); the trainer calls this one while training, so
     * that a loss with an epoch schedule (JoCoR's forget rate) can follow it. By default the epoch is ignored.
     */
    default Tensor compute(Tensor logits, LabeledBatch batch, int epoch) {
        return compute(logits, batch);
    }

    /**
     * The {@code [B, classes]} logits whose arg-max is the prediction, from the model's training-mode output (which
     * the trainer counts training accuracy on). The identity unless the model's output holds more than one
     * prediction per example (the two networks of JoCoR).
     */
    default Tensor predictionLogits(Tensor logits) {
        return logits;
    }

    /** Mean cross-entropy over the batch (no label smoothing), the paper's training loss. */
    static LossFunction meanCrossEntropy() {
        return (logits, batch) -> Functional.crossEntropy(logits, batch.labels());
    }
}
