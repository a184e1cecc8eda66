package dev.engram.memorization.localize;

import java.util.Arrays;

/**
 * What the pruning-style methods share (docs/methods.md §11.6–11.7): per target, a parameter {@code θ_u} per unit
 * defines a mask {@code m_u = gate(θ_u, noise)} in [0, 1], learned by gradient descent with momentum to minimise
 * <pre>
 *   J(θ) = −log(1 − p_y(x_t; m))  +  (1/|R|) Σ_{i∈R} KL(p(x_i; 1) ‖ p(x_i; m))  +  λ Σ_u penalty(θ_u)
 * </pre>
 * the first term removes the target's prediction of its training label y (bounded below, unlike −CE), the second
 * keeps the predicted distributions of a fixed sample R of training examples as the unmasked model makes them (the
 * target left out of its own copy; matching predictions rather than labels, so that removing a unit that merely hurts
 * other examples is not rewarded), the third keeps the removed set small. The score of
 * a unit is {@link #score}: how strongly the learned mask removes it. The rows of a target and of its copy of R go
 * through the model in one batch with the target's mask; targets are independent (their noise is seeded by the
 * example id), so batching does not change the result.
 */
public abstract class LearnedMask implements LocalizationMethod {
    /**
     * Settings.
     *
     * @param steps         gradient steps
     * @param learningRate  step size on θ
     * @param lambda        weight of the size penalty per unit
     * @param referenceSize training examples in R (a target is left out of its own copy)
     * @param targetsPerPass targets optimised together (each with its own mask and copy of R)
     * @param seed          seed of R and of the gates' noise
     */
    public record Settings(int steps, double learningRate, double lambda, int referenceSize, int targetsPerPass, long seed) {
        /** Validates. */
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("learned mask: steps must be >= 1, got " + steps);
            if (!(learningRate > 0)) throw new IllegalArgumentException("learned mask: learning rate must be > 0, got " + learningRate);
            if (!(lambda >= 0)) throw new IllegalArgumentException("learned mask: lambda must be >= 0, got " + lambda);
            if (referenceSize < 0) throw new IllegalArgumentException("learned mask: reference size must be >= 0, got " + referenceSize);
            if (targetsPerPass < 1) throw new IllegalArgumentException("learned mask: targets per pass must be >= 1, got " + targetsPerPass);
        }
    }

    final Settings settings;

    LearnedMask(Settings settings) {
        this.settings = settings;
    }

    /** The settings. */
    public Settings settings() {
        return settings;
    }

    /** Initial θ of every unit (mask nearly all ones). */
    abstract double initial();

    /** The mask value for parameter {@code theta} and noise {@code noise} in (0, 1); writes ∂m/∂θ into {@code d[0]}. */
    abstract double gate(double theta, double noise, double[] d);

    /** Penalty of one unit; writes its derivative into {@code d[0]}. */
    abstract double penalty(double theta, double[] d);

    /** Whether {@link #gate} uses its noise (else 0.5 is passed). */
    abstract boolean stochastic();

    /** Score of a unit from its learned parameter (higher = removed more). */
    abstract double score(double theta);

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        int[] ref = settings.referenceSize() == 0 ? new int[0]
                : OtherExamples.draw(model.data().size(), settings.referenceSize(), settings.seed(), new int[0]);
        double[][] out = new double[targets.length][];
        for (int from = 0; from < targets.length; from += settings.targetsPerPass()) {
            int[] chunk = Arrays.copyOfRange(targets, from, Math.min(targets.length, from + settings.targetsPerPass()));
            double[][] theta = optimise(model, chunk, ref, unmasked(model, ref));
            for (int j = 0; j < chunk.length; j++) {
                for (int u = 0; u < theta[j].length; u++) theta[j][u] = score(theta[j][u]);
                out[from + j] = theta[j];
            }
        }
        return out;
    }

    /**
     * Gradient descent with momentum 0.9 on θ for each target of {@code chunk}; returns the final θ. Each step's
     * gradient of the two data terms is divided by its largest entry (the penalty's is added as it is) (the target term's gradient is huge while the target's prediction is
     * saturated and vanishes once it flips), which keeps the relative sizes of the units' gradients in their scores:
     * with Adam's per-parameter normalisation a unit with a tiny but consistent gradient would move as fast as the
     * one that matters.
     */
    double[][] optimise(MaskedModel model, int[] chunk, int[] ref, double[][] refProbs) {
        int n = chunk.length, units = model.units();
        double[][] theta = new double[n][units], velocity = new double[n][units];
        for (double[] t : theta) Arrays.fill(t, initial());
        for (int step = 1; step <= settings.steps(); step++) {
            double[][] noise = noise(model, chunk, step);
            double[][] g = objective(model, chunk, ref, refProbs, theta, noise).gradient();
            double[] d = new double[1];
            for (int j = 0; j < n; j++) {
                double[] pen = new double[units];
                double max = 0;
                for (int u = 0; u < units; u++) {
                    penalty(theta[j][u], d);
                    pen[u] = settings.lambda() * d[0];
                    max = Math.max(max, Math.abs(g[j][u] - pen[u]));
                }
                for (int u = 0; u < units; u++) {
                    double data = max == 0 ? 0 : (g[j][u] - pen[u]) / max;
                    velocity[j][u] = 0.9 * velocity[j][u] + data + pen[u];
                    theta[j][u] -= settings.learningRate() * velocity[j][u];
                }
            }
        }
        return theta;
    }

    /** The gates' noise of step {@code step} per target, seeded by (seed, example id, step). */
    double[][] noise(MaskedModel model, int[] chunk, int step) {
        double[][] noise = new double[chunk.length][model.units()];
        for (int j = 0; j < chunk.length; j++) {
            if (!stochastic()) {
                Arrays.fill(noise[j], 0.5);
                continue;
            }
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(
                    (settings.seed() * 31 + model.data().ids()[chunk[j]]) * 1_000_003L + step);
            for (int u = 0; u < noise[j].length; u++) noise[j][u] = Math.min(1 - 1e-6, Math.max(1e-6, rnd.nextDouble()));
        }
        return noise;
    }

    /**
     * The objective's value per target and its gradient with respect to θ.
     *
     * @param value    J per target
     * @param gradient ∂J/∂θ per target and unit
     */
    record Objective(double[] value, double[][] gradient) { }

    /** J and ∂J/∂θ for every target of {@code chunk} at {@code theta} with the given noise. */
    Objective objective(MaskedModel model, int[] chunk, int[] ref, double[][] refProbs, double[][] theta,
                        double[][] noise) {
        int n = chunk.length, units = model.units();
        int[] start = new int[n + 1];
        java.util.List<Integer> rowList = new java.util.ArrayList<>();
        java.util.List<Integer> groupOf = new java.util.ArrayList<>(), refIndex = new java.util.ArrayList<>();
        int[] refCount = new int[n];
        for (int j = 0; j < n; j++) {
            start[j] = rowList.size();
            rowList.add(chunk[j]);
            groupOf.add(j);
            refIndex.add(-1);
            for (int i = 0; i < ref.length; i++) {
                if (ref[i] == chunk[j]) continue; // R without the target itself
                rowList.add(ref[i]);
                groupOf.add(j);
                refIndex.add(i);
                refCount[j]++;
            }
        }
        start[n] = rowList.size();
        int[] rows = rowList.stream().mapToInt(Integer::intValue).toArray();
        float[][] masks = new float[rows.length][];
        double[][] dm = new double[n][units];
        double[] value = new double[n];
        double[] d = new double[1];
        for (int j = 0; j < n; j++) {
            float[] m = new float[units];
            for (int u = 0; u < units; u++) {
                m[u] = (float) gate(theta[j][u], noise[j][u], d);
                dm[j][u] = d[0];
                value[j] += settings.lambda() * penalty(theta[j][u], d);
            }
            for (int q = start[j]; q < start[j + 1]; q++) masks[q] = m;
        }
        int[] labels = model.data().labels();
        MaskedModel.Pass pass = model.evaluate(rows, masks, (b, logits, dl) -> {
            int y = labels[rows[b]];
            int j = groupOf.get(b);
            if (b == start[j]) return removal(logits, y, dl);
            double v = divergence(refProbs[refIndex.get(b)], logits, dl);
            for (int c = 0; c < dl.length; c++) dl[c] /= refCount[j];
            return v / refCount[j];
        });
        double[][] grad = new double[n][units];
        for (int j = 0; j < n; j++) {
            for (int q = start[j]; q < start[j + 1]; q++) {
                value[j] += pass.values()[q];
                double[] gm = pass.gradients()[q];
                for (int u = 0; u < units; u++) grad[j][u] += gm[u];
            }
            for (int u = 0; u < units; u++) {
                grad[j][u] *= dm[j][u];
                penalty(theta[j][u], d);
                grad[j][u] += settings.lambda() * d[0];
            }
        }
        return new Objective(value, grad);
    }

    /** The unmasked model's predicted distribution of each row of {@code ref}. */
    static double[][] unmasked(MaskedModel model, int[] ref) {
        double[][] out = new double[ref.length][];
        if (ref.length == 0) return out;
        float[][] logits = model.evaluate(ref, null, null).logits();
        for (int i = 0; i < ref.length; i++) out[i] = MaskedModel.softmax(logits[i]);
        return out;
    }

    /** {@code KL(q ‖ softmax(logits))} and its gradient with respect to the logits ({@code p − q}). */
    static double divergence(double[] q, float[] logits, double[] dLogits) {
        double[] p = MaskedModel.softmax(logits);
        double v = 0;
        for (int c = 0; c < p.length; c++) {
            dLogits[c] = p[c] - q[c];
            if (q[c] > 0) v += q[c] * (Math.log(q[c]) - Math.log(Math.max(p[c], 1e-300)));
        }
        return v;
    }

    /** {@code −log(1 − p_y)} and its gradient with respect to the logits. */
    static double removal(float[] logits, int y, double[] dLogits) {
        double[] p = MaskedModel.softmax(logits);
        double rest = 0;
        for (int c = 0; c < p.length; c++) if (c != y) rest += p[c];
        rest = Math.max(rest, 1e-12);
        for (int c = 0; c < p.length; c++) dLogits[c] = p[y] * ((c == y ? 1 : 0) - p[c]) / rest;
        return -Math.log(rest);
    }

    /** The logistic function. */
    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
