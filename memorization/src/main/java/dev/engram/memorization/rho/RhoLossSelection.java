package dev.engram.memorization.rho;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.LabeledBatch;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * RHO-LOSS selection (Mindermann et al., "Prioritized Training on Points that are Learnable, Worth Learning, and Not
 * Yet Learnt", ICML 2022, Algorithm 1; docs/methods.md §10.4): from each large batch of {@code factor × b} examples,
 * train on the {@code b} with the highest reducible holdout loss, {@code training loss − irreducible loss}, the training
 * loss being the current model's (evaluation mode, no gradient) and the irreducible loss that of a model that never
 * saw the example ({@link IrreducibleLoss#crossFitted}). Mislabeled examples have a high irreducible loss and so
 * a low reducible one: they are rarely selected.
 *
 * <p>So that an epoch has as many optimizer steps as plain training, epoch {@code e} goes through the large-batch
 * source's epochs {@code e·factor … e·factor + factor − 1}; the selection depends only on those batches and the model,
 * so a resumed run selects as an uninterrupted one.
 */
public final class RhoLossSelection implements BatchSource {
    private final BatchSource large;
    private final int keep, factor;
    private final double[] irreducible;
    private final Module model;

    /**
     * @param large       batches of {@code factor × keep} examples whose ids index {@code irreducible}
     * @param keep        examples kept per large batch
     * @param factor      large batches per epoch of the large source, in an epoch of this one
     * @param irreducible irreducible loss per example id
     * @param model       the model being trained (its loss ranks the examples)
     */
    public RhoLossSelection(BatchSource large, int keep, int factor, double[] irreducible, Module model) {
        if (keep < 1 || factor < 1) throw new IllegalArgumentException("RHO-LOSS: keep and factor must be >= 1, got " + keep + ", " + factor);
        this.large = large;
        this.keep = keep;
        this.factor = factor;
        this.irreducible = irreducible.clone();
        this.model = model;
    }

    @Override
    public Iterable<LabeledBatch> epoch(int epoch) {
        return () -> new Iterator<>() {
            private int pass = 0;
            private Iterator<LabeledBatch> current = large.epoch(epoch * factor).iterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && ++pass < factor) current = large.epoch(epoch * factor + pass).iterator();
                return current.hasNext();
            }

            @Override
            public LabeledBatch next() {
                if (!hasNext()) throw new NoSuchElementException();
                return select(current.next());
            }
        };
    }

    /** The {@code keep} examples of {@code batch} with the highest reducible loss (all when it holds no more). */
    public LabeledBatch select(LabeledBatch batch) {
        if (batch.size() <= keep) return batch;
        float[] loss = trainingLoss(batch);
        int[] ids = batch.exampleIds();
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= irreducible.length) {
                throw new IllegalStateException("RHO-LOSS: example id " + ids[i] + " has no irreducible loss ("
                        + irreducible.length + " examples)");
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(loss[b] - irreducible[ids[b]], loss[a] - irreducible[ids[a]]));
        int[] rows = new int[keep], keptIds = new int[keep], keptLabels = new int[keep], labels = batch.labels().toIntArray();
        for (int i = 0; i < keep; i++) rows[i] = order[i];
        Arrays.sort(rows);
        for (int i = 0; i < keep; i++) {
            keptIds[i] = ids[rows[i]];
            keptLabels[i] = labels[rows[i]];
        }
        Tensor idx = Tensor.ofInts(batch.inputs().device(), rows, keep);
        return new LabeledBatch(batch.inputs().indexSelect(idx), Tensor.ofInts(batch.labels().device(), keptLabels, keep),
                keptIds);
    }

    private float[] trainingLoss(LabeledBatch batch) {
        boolean wasTraining = model.isTraining();
        model.eval();
        Device device = Device.CPU;
        for (Tensor p : model.namedParameters().values()) {
            device = p.device();
            break;
        }
        try (Grad g = Grad.disabled(); BatchContext ctx = BatchContext.of(batch.exampleIds())) {
            Tensor logits = model.forward(batch.inputs().to(device));
            return Functional.crossEntropyPerExample(logits, batch.labels().to(device)).toFloatArray();
        } finally {
            model.train(wasTraining);
        }
    }

    @Override
    public int batchesPerEpoch() {
        return factor * large.batchesPerEpoch();
    }
}
