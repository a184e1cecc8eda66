package dev.engram.memorization.detect;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** TracIn checkpoint self-influence against the closed form of a linear model, and on a flipped label. */
class TracInSelfInfluenceTest {

    /** Closed form for softmax regression: {@code ‖∇_W ℓ‖² + ‖∇_b ℓ‖² = ‖p − e_y‖² (‖x‖² + 1)}. */
    private static double[] closedForm(Module linear, ExampleSet data) {
        float[] w = linear.namedParameters().get("1.weight").toFloatArray();
        float[] b = linear.namedParameters().get("1.bias").toFloatArray();
        int d = data.exampleSize(), k = data.numClasses();
        double[] out = new double[data.size()];
        for (int i = 0; i < data.size(); i++) {
            double[] z = new double[k];
            double xx = 0, max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < d; j++) xx += (double) data.x()[i * d + j] * data.x()[i * d + j];
            for (int c = 0; c < k; c++) {
                z[c] = b[c];
                for (int j = 0; j < d; j++) z[c] += (double) w[c * d + j] * data.x()[i * d + j];
                max = Math.max(max, z[c]);
            }
            double s = 0;
            for (int c = 0; c < k; c++) s += Math.exp(z[c] - max);
            double r = 0;
            for (int c = 0; c < k; c++) {
                double p = Math.exp(z[c] - max) / s - (c == data.labels()[i] ? 1 : 0);
                r += p * p;
            }
            out[i] = r * (xx + 1);
        }
        return out;
    }

    @Test
    void learningRateWeightedSumOfSquaredGradientNormsMatchesTheClosedForm() throws Exception {
        ExampleSet data = SyntheticData.clusters(30, 3, 3, 1.0, 0.2, 5);
        Module a = new Mlp(1, 9, 3), b = new Mlp(2, 9, 3);
        a.eval();
        b.eval();
        double[] lr = {0, 0.5, 0.25};
        Module[] ck = {new Mlp(3, 9, 3), a, b};
        double[] s = TracInSelfInfluence.compute(c -> ck[c], lr, data, 7);
        double[] ea = closedForm(a, data), eb = closedForm(b, data);
        for (int i = 0; i < data.size(); i++) {
            assertThat(s[i]).isCloseTo(0.5 * ea[i] + 0.25 * eb[i], within(1e-4 * (1 + s[i])));
        }
    }

    @Test
    void aFlippedLabelThatALinearModelCannotFitHasTheLargestSelfInfluence() throws Exception {
        // well-separated clusters, 1 of 60 labels flipped: a linear model cannot fit it, so its gradient stays large
        ExampleSet data = SyntheticData.clusters(60, 4, 3, 0.3, 1.0 / 60, 11);
        assertThat(data.noisyCount()).isEqualTo(1);
        Module init = new Mlp(4, 16, 3), mid = new Mlp(4, 16, 3), last = new Mlp(4, 16, 3);
        SyntheticData.train(mid, data, 3, 10, 0.1, 0.9, 0, 4);
        SyntheticData.train(last, data, 10, 10, 0.1, 0.9, 0, 4);
        Module[] ck = {init, mid, last};
        for (Module m : ck) m.eval();
        assertThat(Evaluation.run(last, data, 60).accuracy(data.noisy(), true)).isZero();
        double[] s = TracInSelfInfluence.compute(c -> ck[c], new double[] {0, 0.1, 0.05}, data, 16);
        int top = 0;
        for (int i = 1; i < s.length; i++) if (s[i] > s[top]) top = i;
        assertThat(data.noisy()[top]).as("the flipped example ranks first").isTrue();
        assertThat(Metrics.auroc(s, data.noisy())).isEqualTo(1.0);
    }
}
