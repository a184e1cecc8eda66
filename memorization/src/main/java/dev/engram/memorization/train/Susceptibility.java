package dev.engram.memorization.train;

import dev.engram.engine.Tensor;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.ParameterVector;
import dev.engram.nn.Module;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Susceptibility to noisy labels (Forouzesh, Sedghi and Thiran, "Leveraging Unlabeled Data to Track Memorization",
 * ICLR 2023; docs/methods.md §8.2): a run-level measure of memorization that needs no clean labels. At the weights
 * {@code w(τ)} of every epoch, a copy of the model takes one SGD step on a mini-batch {@code S̃} of unlabeled
 * examples given uniformly random labels; the fit it gains there, {@code Δ(τ) = Φ̃(w(τ)) − Φ̃(w̃(τ+1))} with
 * {@code Φ̃} the mean cross-entropy on {@code S̃}, is how readily the network fits labels that carry no signal, and the
 * susceptibility is its running mean {@code ζ(t) = (1/t) Σ_{τ ≤ t} Δ(τ)}. A network that is fitting noisy labels of its
 * own training set is more susceptible; the paper pairs a low ζ with a high training accuracy to pick models that
 * learned the clean examples without memorizing the noisy ones.
 *
 * <p>Engram's choices, as the paper's code does unless stated: {@code S̃} is drawn from the run's <em>test</em> images
 * (held-out data whose labels are never used; the paper's code draws it from the training images), every image gets a
 * seeded uniformly random label once, and each epoch takes a fresh seeded batch of the run's batch size from that
 * pool (one reshuffled loader batch in the paper's code). The step is plain SGD with the run's coupled weight decay at
 * the run's <em>peak</em> learning rate, in evaluation mode (so batch-norm statistics are untouched), from a copy of
 * the weights that is restored afterwards: the paper's code steps the run's own optimizer (with its momentum buffer)
 * at the current learning rate, which under Engram's warm-up would make the first probes near-zero steps regardless
 * of the network. {@code Δ} is recorded for the model after 0, 1, …, E epochs; {@code ζ} after e epochs is the mean of
 * {@code Δ} over epochs 1..e (the paper's code leaves out the probe of the untrained model likewise).
 */
public final class Susceptibility {
    private final ExampleSet pool;
    private final int batchSize;
    private final double learningRate;
    private final double weightDecay;
    private final long seed;

    /**
     * A probe on {@code pool}, whose labels are replaced by seeded uniformly random ones.
     *
     * @param pool         unlabeled (held-out) examples; their labels are ignored
     * @param batchSize    examples of the randomly labelled batch of each epoch
     * @param learningRate step size of the probe step
     * @param weightDecay  coupled weight decay of the probe step
     * @param seed         seed of the random labels and of each epoch's batch
     */
    public Susceptibility(ExampleSet pool, int batchSize, double learningRate, double weightDecay, long seed) {
        if (pool.size() == 0) throw new IllegalArgumentException("susceptibility: no unlabeled examples to probe with");
        if (batchSize < 1) throw new IllegalArgumentException("susceptibility: batch size must be >= 1, got " + batchSize);
        if (!(learningRate > 0)) throw new IllegalArgumentException("susceptibility: learning rate must be > 0, got " + learningRate);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("susceptibility: weight decay must be >= 0, got " + weightDecay);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5C5_7AB1L);
        int[] random = new int[pool.size()];
        for (int i = 0; i < random.length; i++) random[i] = rnd.nextInt(pool.numClasses());
        this.pool = new ExampleSet(pool.x(), random, pool.ids(), new boolean[pool.size()], pool.channels(), pool.height(),
                pool.width(), pool.numClasses());
        this.batchSize = Math.min(batchSize, pool.size());
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.seed = seed;
    }

    /** The randomly labelled batch of {@code epoch}: a seeded sample of the pool. */
    ExampleSet batch(int epoch) {
        int n = pool.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = 0; i < batchSize; i++) {
            int j = i + rnd.nextInt(n - i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return pool.subset(java.util.Arrays.copyOf(p, batchSize));
    }

    /**
     * {@code Δ(epoch) = Φ̃(w) − Φ̃(w̃)}: the decrease of the mean cross-entropy on the epoch's randomly labelled batch
     * after one SGD step on it from {@code model}'s weights, which are restored afterwards (the model is left in its
     * mode and with zero gradients).
     */
    public double probe(Module model, int epoch) {
        ExampleSet s = batch(epoch);
        boolean was = model.isTraining();
        model.eval();
        List<Tensor> params = ParameterVector.trainable(model);
        double[] theta = ParameterVector.values(params);
        try {
            double before = meanLoss(model, s);
            double[] g = ParameterVector.meanLossGradient(model, params, s, s.size());
            double[] stepped = new double[theta.length];
            for (int i = 0; i < theta.length; i++) stepped[i] = theta[i] - learningRate * (g[i] + weightDecay * theta[i]);
            ParameterVector.set(params, stepped);
            return before - meanLoss(model, s);
        } finally {
            ParameterVector.set(params, theta);
            model.train(was);
        }
    }

    private static double meanLoss(Module model, ExampleSet s) {
        float[] l = Evaluation.run(model, s, s.size()).loss();
        double sum = 0;
        for (float v : l) sum += v;
        return sum / l.length;
    }

    /**
     * {@code ζ}: element e ≥ 1 is the mean of {@code delta[1..e]}, as the paper's code averages from the first epoch
     * on; element 0 (the untrained model) is NaN. NaN entries (records written before the measure) are skipped.
     */
    public static double[] running(double[] delta) {
        double[] out = new double[delta.length];
        double sum = 0;
        int n = 0;
        if (delta.length > 0) out[0] = Double.NaN;
        for (int e = 1; e < delta.length; e++) {
            if (Double.isFinite(delta[e])) {
                sum += delta[e];
                n++;
            }
            out[e] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }
}
