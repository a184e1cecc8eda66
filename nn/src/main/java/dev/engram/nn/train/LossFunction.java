package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;

/** The scalar training objective of a batch given the model's output. */
@FunctionalInterface
public interface LossFunction {
    /** A one-element loss for {@code logits} of {@code batch} (labels on the logits' device). */
    Tensor compute(Tensor logits, LabeledBatch batch);

    /** Mean cross-entropy over the batch (no label smoothing), the paper's training loss. */
    static LossFunction meanCrossEntropy() {
        return (logits, batch) -> Functional.crossEntropy(logits, batch.labels());
    }
}
