package dev.engram.nn.train;

import dev.engram.engine.Tensor;
import dev.engram.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Symmetric cross-entropy and JoCoR's joint loss against hand computations and finite differences. */
class RobustLossTest {
    private static final float[] LOGITS = {1.0f, -0.5f, 0.2f, 0.3f, 2.0f, -1.0f};
    private static final int[] LABELS = {2, 1};

    private static LabeledBatch batch(int... labels) {
        return new LabeledBatch(Tensor.zeros(labels.length, 1), Tensor.ofInts(labels, labels.length), new int[labels.length]);
    }

    private static double[] softmax(float[] z, int row, int c) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < c; k++) max = Math.max(max, z[row * c + k]);
        double[] p = new double[c];
        for (int k = 0; k < c; k++) sum += p[k] = Math.exp(z[row * c + k] - max);
        for (int k = 0; k < c; k++) p[k] /= sum;
        return p;
    }

    @Test
    void symmetricCrossEntropyMatchesHandComputation() {
        double alpha = 0.1, beta = 1.0, a = -4;
        double expected = 0;
        for (int i = 0; i < 2; i++) {
            double[] p = softmax(LOGITS, i, 3);
            double ce = -Math.log(p[LABELS[i]]);
            double rce = 0; // -sum_k p_k log q_k, log 1 = 0, log 0 = A
            for (int k = 0; k < 3; k++) if (k != LABELS[i]) rce += -p[k] * a;
            expected += (alpha * ce + beta * rce) / 2;
        }
        float got = new SymmetricCrossEntropy(alpha, beta).compute(Tensor.of(LOGITS, 2, 3), batch(LABELS)).item();
        assertThat((double) got).isCloseTo(expected, within(1e-5));
    }

    @Test
    void symmetricCrossEntropyGradientMatchesFiniteDifferences() {
        SymmetricCrossEntropy sce = new SymmetricCrossEntropy(0.3, 0.7);
        GradCheck.Report r = GradCheck.of("sce", 1).check(in -> sce.compute(in[0], batch(LABELS)),
                Tensor.of(LOGITS, 2, 3).requiresGrad(true));
        assertThat(r.checked()).isEqualTo(6);
    }

    @Test
    void symmetricCrossEntropyRejectsBadWeights() {
        assertThatThrownBy(() -> new SymmetricCrossEntropy(-1, 1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> new SymmetricCrossEntropy(0.1, 1, 0)).hasMessageContaining("clamp");
    }

    @Test
    void jocorPerExampleLossMatchesHandComputation() {
        // two networks' logits side by side: [B=2, 2C=4], C = 2
        float[] z = {0.5f, -0.2f, 1.0f, 0.1f, -0.3f, 0.4f, 0.0f, 2.0f};
        int[] y = {0, 1};
        double lambda = 0.25;
        JoCoRLoss loss = new JoCoRLoss(2, lambda, 0.5, 1);
        float[] got = loss.perExample(Tensor.of(z, 2, 4), Tensor.ofInts(y, 2)).toFloatArray();
        double[] expected = new double[2];
        for (int i = 0; i < 2; i++) {
            double[] p1 = softmax(new float[] {z[4 * i], z[4 * i + 1]}, 0, 2);
            double[] p2 = softmax(new float[] {z[4 * i + 2], z[4 * i + 3]}, 0, 2);
            double ce = -Math.log(p1[y[i]]) - Math.log(p2[y[i]]);
            double kl = 0;
            for (int k = 0; k < 2; k++) kl += p1[k] * Math.log(p1[k] / p2[k]) + p2[k] * Math.log(p2[k] / p1[k]);
            expected[i] = (1 - lambda) * ce + lambda * kl;
            assertThat((double) got[i]).isCloseTo(expected[i], within(1e-5));
        }
        // forget rate 0.5 with Tk = 1: only the smaller of the two losses is kept
        float kept = loss.compute(Tensor.of(z, 2, 4), batch(y), 1).item();
        assertThat((double) kept).isCloseTo(Math.min(expected[0], expected[1]), within(1e-5));
        GradCheck.Report r = GradCheck.of("jocor", 2).check(in -> loss.compute(in[0], batch(y), 3),
                Tensor.of(z, 2, 4).requiresGrad(true));
        assertThat(r.checked()).isEqualTo(8);
    }

    @Test
    void jocorForgetRateRisesLinearlyToTau() {
        JoCoRLoss loss = new JoCoRLoss(10, 0.9, 0.2, 5);
        assertThat(loss.forgetRate(1)).isEqualTo(0.0);
        assertThat(loss.forgetRate(3)).isCloseTo(0.1, within(1e-12));
        assertThat(loss.forgetRate(5)).isCloseTo(0.2, within(1e-12));
        assertThat(loss.forgetRate(50)).isCloseTo(0.2, within(1e-12));
        // evaluation-mode logits of one network: plain cross-entropy
        float ce = loss.compute(Tensor.of(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 10), batch(3), 7).item();
        assertThat((double) ce).isCloseTo(Math.log(10), within(1e-5));
        assertThatThrownBy(() -> new JoCoRLoss(10, 1.5, 0.2, 5)).hasMessageContaining("1.5");
    }
}
