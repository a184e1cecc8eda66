package dev.engram.memorization.experiment;

import dev.engram.datasets.Batch;
import dev.engram.datasets.DataLoader;
import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.scores.Evaluation;
import dev.engram.nn.Module;

/**
 * Evaluates a model on every example of a dataset (the whole file, or its first n examples, so that example indices
 * are positions) (eval mode, no augmentation, no gradients) and keeps, per example,
 * whether the prediction equals the dataset's label, the cross-entropy loss and the margin.
 *
 * @param correct {@code correct[i]}: argmax of the logits equals the label of example i
 * @param loss    per-example cross-entropy
 * @param margin  label logit minus the largest other logit
 */
public record PerExampleEval(boolean[] correct, float[] loss, float[] margin) {

    /** Number of examples evaluated. */
    public int size() {
        return correct.length;
    }

    /** Accuracy over {@code subset} (indices), NaN when the subset is empty. */
    public double accuracy(int[] subset) {
        if (subset.length == 0) return Double.NaN;
        int c = 0;
        for (int i : subset) if (correct[i]) c++;
        return (double) c / subset.length;
    }

    /** Accuracy over all examples. */
    public double accuracy() {
        int c = 0;
        for (boolean b : correct) if (b) c++;
        return (double) c / correct.length;
    }

    /** Mean loss over all examples. */
    public double meanLoss() {
        double s = 0;
        for (float l : loss) s += l;
        return s / loss.length;
    }

    /**
     * Evaluates {@code model} on {@code data} (labels as stored in {@code data}); the model is left in eval mode.
     *
     * @param batchSize evaluation batch size
     */
    public static PerExampleEval run(Module model, Dataset data, int batchSize, Normalization normalization) {
        int n = data.size();
        boolean[] correct = new boolean[n];
        float[] loss = new float[n];
        float[] margin = new float[n];
        model.eval();
        DataLoader loader = DataLoader.builder(data).batchSize(batchSize).shuffle(false, 0)
                .normalization(normalization).build();
        try (loader; Grad g = Grad.disabled()) {
            for (Batch b : loader) {
                try (TensorScope scope = Tensors.scope()) {
                    for (int i : b.indices()) {
                        if (i < 0 || i >= n) {
                            throw new IllegalArgumentException("example index " + i + " of " + data.name()
                                    + " is outside [0, " + n + "); evaluate a whole dataset or its first n examples");
                        }
                    }
                    Tensor x = Tensor.of(b.x(), b.size(), b.channels(), b.height(), b.width());
                    Evaluation.record(model.forward(x), b.y(), b.indices(), null, loss, margin, correct);
                }
            }
        }
        return new PerExampleEval(correct, loss, margin);
    }
}
