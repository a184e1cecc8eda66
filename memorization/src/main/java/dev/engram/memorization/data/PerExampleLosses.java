package dev.engram.memorization.data;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.PerExampleOptions;
import dev.engram.engine.Tensor;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;

/**
 * Per-example collection options for a batch of a model's mean cross-entropy: the engine's rules cover most
 * parameters; a parameter whose use has no rule (e.g. a ViT's attention temperature, which reaches the batch through
 * {@code exp}) gets the batch-of-one fallback, which needs the per-example losses recomputed for subsets of the batch.
 * The recomputation runs the model as it is (same mode) inside a {@link BatchContext} with the examples' ids.
 */
public final class PerExampleLosses {
    private PerExampleLosses() { }

    /** Options whose recompute closure reruns {@code model} on rows of {@code batch} (mean reduction, batch size). */
    public static PerExampleOptions forBatch(Module model, LabeledBatch batch) {
        return PerExampleOptions.defaults()
                .withRecompute(idx -> losses(model, batch, idx), PerExampleOptions.Reduction.MEAN)
                .withBatchSize(batch.size());
    }

    /** The per-example cross-entropy of rows {@code idx} of {@code batch}, from a new forward pass. */
    public static Tensor losses(Module model, LabeledBatch batch, int[] idx) {
        Device dev = batch.inputs().device();
        Tensor rows = Tensor.ofInts(dev, idx, idx.length);
        int[] ids = new int[idx.length], labels = new int[idx.length], all = batch.labels().toIntArray();
        for (int k = 0; k < idx.length; k++) {
            ids[k] = batch.exampleIds()[idx[k]];
            labels[k] = all[idx[k]];
        }
        Tensor logits;
        try (BatchContext ctx = BatchContext.of(ids)) {
            logits = model.forward(batch.inputs().indexSelect(rows));
        }
        return Functional.crossEntropyPerExample(logits, Tensor.ofInts(dev, labels, idx.length));
    }
}
