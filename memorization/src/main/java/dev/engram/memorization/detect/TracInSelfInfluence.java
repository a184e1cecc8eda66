package dev.engram.memorization.detect;

import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.PerExampleLosses;
import dev.engram.memorization.scores.CheckpointScores;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * TracIn-style checkpoint self-influence (Pruthi, Liu, Kale and Sundararajan, "Estimating Training Data Influence by
 * Tracing Gradient Descent", NeurIPS 2020; docs/methods.md §8.13): the influence of a training example on itself is approximated by
 * {@code TracInCP(z, z) = Σ_c η_c ‖∇_θ ℓ(z; θ_c)‖²} over checkpoints {@code θ_c}, with {@code η_c} the learning rate
 * of the epoch that ends at checkpoint c. Examples the model must push hard on for many epochs (mislabeled,
 * atypical) have a large self-influence: higher = suspicious.
 *
 * <p>The per-example squared gradient norms come from the engine's per-example primitive
 * ({@link PerExample#squaredNorms}) with the model in evaluation mode, over every trainable parameter, of the unscaled
 * per-example cross-entropy with the training labels. The untrained checkpoint (epoch 0) has no epoch ending at it
 * and gets weight 0 when its learning rate is given as 0.
 */
public final class TracInSelfInfluence {
    private TracInSelfInfluence() { }

    /**
     * {@code Σ_c lr[c] · ‖∇ℓ_i(θ_c)‖²} per example of {@code data}.
     *
     * @param loader      model of checkpoint c (evaluation mode)
     * @param lr          learning-rate weight of each checkpoint
     * @param batchSize   examples per per-example gradient pass
     */
    public static double[] compute(CheckpointScores.CheckpointLoader loader, double[] lr, ExampleSet data, int batchSize)
            throws IOException {
        double[] s = new double[data.size()];
        for (int c = 0; c < lr.length; c++) {
            if (lr[c] == 0) continue;
            float[] n2 = squaredGradientNorms(loader.load(c), data, batchSize);
            for (int i = 0; i < s.length; i++) s[i] += lr[c] * n2[i];
        }
        return s;
    }

    /** Per example of {@code data}: squared norm of the gradient of its own (unscaled) loss over all parameters. */
    public static float[] squaredGradientNorms(Module model, ExampleSet data, int batchSize) {
        boolean wasTraining = model.isTraining();
        model.eval();
        List<Tensor> params = new ArrayList<>();
        model.namedParameters().values().forEach(p -> { if (p.requiresGrad()) params.add(p); });
        int n = data.size();
        float[] out = new float[n];
        try {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (TensorScope s = Tensors.scope()) {
                    model.zeroGrad();
                    LabeledBatch batch = new LabeledBatch(data.images(from, to), data.labelTensor(from, to), data.ids(from, to));
                    PerExampleGradients pe = PerExample.squaredNorms(params,
                            idx -> PerExampleLosses.losses(model, batch, idx), to - from);
                    float[] sq = pe.totalSquaredNorms();
                    System.arraycopy(sq, 0, out, from, to - from);
                    pe.release();
                }
            }
        } finally {
            model.zeroGrad();
            model.train(wasTraining);
        }
        return out;
    }
}
