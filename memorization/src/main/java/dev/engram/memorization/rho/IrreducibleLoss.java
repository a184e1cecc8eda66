package dev.engram.memorization.rho;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.nn.Module;

import java.io.IOException;
import java.util.SplittableRandom;

/**
 * The irreducible-loss score of RHO-LOSS (Mindermann et al., "Prioritized Training on Points that are Learnable,
 * Worth Learning, and Not Yet Learnt", ICML 2022;
 * docs/methods.md §8.8 and §8.13): a model trained on held-out data gives each training example its
 * <em>irreducible loss</em> {@code IL(x, y)} (the loss of a model that never saw it), and the reducible holdout loss
 * is {@code training loss − IL}. A mislabeled example has a high irreducible loss (no other example explains its
 * label); once the run has memorized it its training loss is low, so its reducible loss is strongly negative.
 *
 * <p>Engram has no separate holdout set with the run's labels, so it cross-fits: the training examples are split
 * into two halves by a seeded permutation, a model of the run is trained on each half with the run's recipe, and
 * each example's irreducible loss is that of the model trained on the other half. Every example so gets an
 * irreducible loss from a model that never saw it (the labels the halves train on are the run's, noisy ones
 * included, as RHO-LOSS's holdout labels would be).
 */
public final class IrreducibleLoss {
    private IrreducibleLoss() { }

    /** Trains a fresh model of the run on the rows {@code rows} of the training set; returns it in evaluation mode. */
    @FunctionalInterface
    public interface HalfTrainer {
        /**
         * A fresh model of the run trained on the training examples at {@code rows} (ascending positions in the
         * training set); {@link IrreducibleLoss#crossFitted} puts it in evaluation mode before scoring the other half.
         */
        Module train(int[] rows) throws IOException;
    }

    /**
     * Scores of one cross-fitted computation.
     *
     * @param irreducible per example: loss under the model trained on the other half (higher = suspicious)
     * @param reducible   per example: training loss − irreducible loss (lower = suspicious once memorized)
     * @param half        per example: the half (0 or 1) it belongs to
     */
    public record Scores(double[] irreducible, double[] reducible, int[] half) { }

    /** The two halves of {@code n} examples: a seeded permutation split at {@code n/2}; element [h] = rows of half h. */
    public static int[][] halves(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5EED_F00DL);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        int[] a = java.util.Arrays.copyOfRange(p, 0, n / 2), b = java.util.Arrays.copyOfRange(p, n / 2, n);
        java.util.Arrays.sort(a);
        java.util.Arrays.sort(b);
        return new int[][] {a, b};
    }

    /**
     * Cross-fitted irreducible losses of every example of {@code data} and its reducible loss against
     * {@code trainingLoss} (the run's per-example training loss).
     */
    public static Scores compute(ExampleSet data, double[] trainingLoss, HalfTrainer trainer, long seed, int batchSize)
            throws IOException {
        int n = data.size();
        if (trainingLoss.length != n) {
            throw new IllegalArgumentException("irreducible loss: " + trainingLoss.length + " training losses for " + n + " examples");
        }
        int[] half = new int[n];
        double[] il = crossFitted(data, trainer, seed, batchSize, half), red = new double[n];
        for (int i = 0; i < n; i++) red[i] = trainingLoss[i] - il[i];
        return new Scores(il, red, half);
    }

    /**
     * The cross-fitted irreducible loss of every example of {@code data} (the loss under the model trained on the
     * other half); also RHO-LOSS selection's ({@link RhoLossSelection}).
     *
     * @param half receives each example's half (0 or 1); may be null
     */
    public static double[] crossFitted(ExampleSet data, HalfTrainer trainer, long seed, int batchSize, int[] half)
            throws IOException {
        int n = data.size();
        int[][] h = halves(n, seed);
        double[] il = new double[n];
        for (int k = 0; k < 2; k++) {
            Module m = trainer.train(h[k]);
            m.eval();
            int[] other = h[1 - k];
            float[] loss = Evaluation.run(m, data.subset(other), batchSize).loss();
            for (int r = 0; r < other.length; r++) {
                il[other[r]] = loss[r];
                if (half != null) half[other[r]] = 1 - k;
            }
        }
        return il;
    }
}
