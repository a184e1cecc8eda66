package dev.engram.memorization.data;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.metrics.Trajectories;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;

/**
 * The evaluator of the module: batched inference of a model on an {@link ExampleSet} (no gradients, no augmentation):
 * per-example prediction, cross-entropy against the set's labels, margin (label logit minus the largest other logit)
 * and correctness. The forward runs inside a
 * {@link BatchContext} carrying the example ids, so layers such as example-tied dropout see them. The caller
 * chooses train/eval mode; this class does not change it.
 */
public final class Evaluation {
    private Evaluation() { }

    /**
     * Per-example outcomes.
     *
     * @param predicted argmax class
     * @param loss      cross-entropy against the set's labels
     * @param margin    label logit minus the largest other logit
     */
    public record PerExample(int[] predicted, float[] loss, float[] margin, boolean[] correct) {
        /** Fraction of correct predictions over all examples. */
        public double accuracy() {
            int c = 0;
            for (boolean b : correct) if (b) c++;
            return correct.length == 0 ? Double.NaN : (double) c / correct.length;
        }

        /** Number of examples evaluated. */
        public int size() {
            return correct.length;
        }

        /** Fraction of correct predictions over the examples at {@code positions}, NaN when there are none. */
        public double accuracy(int[] positions) {
            if (positions.length == 0) return Double.NaN;
            int c = 0;
            for (int i : positions) if (correct[i]) c++;
            return (double) c / positions.length;
        }

        /** Fraction of correct predictions among examples whose flag in {@code select} equals {@code want}. */
        public double accuracy(boolean[] select, boolean want) {
            int c = 0, n = 0;
            for (int i = 0; i < correct.length; i++) {
                if (select[i] == want) {
                    n++;
                    if (correct[i]) c++;
                }
            }
            return n == 0 ? Double.NaN : (double) c / n;
        }
    }

    /** Evaluates {@code model} on every example of {@code data} in batches of {@code batchSize}. */
    public static PerExample run(Module model, ExampleSet data, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("evaluation batch size must be >= 1, got " + batchSize);
        int n = data.size(), k = data.numClasses();
        int[] pred = new int[n];
        float[] loss = new float[n];
        float[] margin = new float[n];
        boolean[] correct = new boolean[n];
        try (Grad g = Grad.disabled()) {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (TensorScope s = Tensors.scope(); BatchContext c = BatchContext.of(data.ids(from, to))) {
                    int[] rows = new int[to - from];
                    for (int r = 0; r < rows.length; r++) rows[r] = from + r;
                    record(model.forward(data.images(from, to)), java.util.Arrays.copyOfRange(data.labels(), from, to), rows,
                            pred, loss, margin, correct);
                }
            }
        }
        return new PerExample(pred, loss, margin, correct);
    }

    /**
     * Writes the outcome of one batch: for row r of {@code logits [n, classes]} with label
     * {@code labels[r]}, the argmax ({@code pred} may be null), cross-entropy, margin and
     * correctness go to position {@code positions[r]} of the per-example arrays.
     */
    public static void record(Tensor logits, int[] labels, int[] positions, int[] pred, float[] loss, float[] margin,
                              boolean[] correct) {
        int k = logits.shape()[1];
        float[] l = logits.toFloatArray();
        float[] ce = Functional.crossEntropyPerExample(logits, Tensor.ofInts(logits.device(), labels, labels.length))
                .toFloatArray();
        for (int r = 0; r < labels.length; r++) {
            int i = positions[r], y = labels[r];
            int arg = argmax(l, r * k, k);
            if (pred != null) pred[i] = arg;
            loss[i] = ce[r];
            margin[i] = (float) Trajectories.margin(l, r * k, k, y);
            correct[i] = arg == y;
        }
    }

    /** Index of the largest of {@code v[off .. off+k)} (first on ties). */
    public static int argmax(float[] v, int off, int k) {
        int arg = 0;
        for (int j = 1; j < k; j++) if (v[off + j] > v[off + arg]) arg = j;
        return arg;
    }
}
