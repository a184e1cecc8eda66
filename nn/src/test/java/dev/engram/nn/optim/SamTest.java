package dev.engram.nn.optim;

import dev.engram.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** SAM's update rule on the quadratic {@code L(w) = 1/2 sum a_i w_i^2} (gradient {@code a * w}) by hand. */
class SamTest {
    private static final float[] A = {1f, 3f, 0.5f};
    private static final float[] W0 = {1f, -2f, 0.5f};

    private static Tensor param() {
        return Tensor.of(W0.clone(), 3).requiresGrad(true).retain();
    }

    /** Sets the gradient of the quadratic at the parameter's current value (what a backward pass would). */
    private static void gradient(Tensor w) {
        float[] v = w.toFloatArray(), g = new float[3];
        for (int i = 0; i < 3; i++) g[i] = A[i] * v[i];
        w.setGrad(Tensor.of(g, 3));
    }

    private static double[] samStep(boolean adaptive, double rho, double lr) {
        double[] g = new double[3], t = new double[3];
        double norm = 0;
        for (int i = 0; i < 3; i++) {
            g[i] = A[i] * W0[i];
            t[i] = adaptive ? Math.abs(W0[i]) + 0.01 : 1; // ASAM's T = |w| + eta for a weight
            norm += (t[i] * g[i]) * (t[i] * g[i]);
        }
        norm = Math.sqrt(norm);
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            double e = rho * t[i] * t[i] * g[i] / norm;
            out[i] = W0[i] - lr * A[i] * (W0[i] + e); // base SGD step with the gradient at w + e
        }
        return out;
    }

    private static float[] run(boolean adaptive) {
        return run(adaptive, "fc.weight");
    }

    private static float[] run(boolean adaptive, String name) {
        Tensor w = param();
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put(name, w);
        Sam sam = new Sam(Sgd.builder(params).learningRate(0.1).build(), 0.05, adaptive);
        gradient(w);
        int[] calls = {0};
        sam.step(() -> {
            calls[0]++;
            w.zeroGrad();
            gradient(w); // evaluated at the perturbed weights
        });
        assertThat(calls[0]).isEqualTo(1);
        return w.toFloatArray();
    }

    @Test
    void samStepsWithTheGradientAtTheWorstNeighbour() {
        float[] got = run(false);
        double[] want = samStep(false, 0.05, 0.1);
        for (int i = 0; i < 3; i++) assertThat((double) got[i]).isCloseTo(want[i], within(1e-6));
    }

    @Test
    void adaptiveSamScalesTheNeighbourhoodByTheWeights() {
        float[] got = run(true);
        double[] want = samStep(true, 0.05, 0.1);
        for (int i = 0; i < 3; i++) assertThat((double) got[i]).isCloseTo(want[i], within(1e-6));
        double[] plain = samStep(false, 0.05, 0.1);
        assertThat(Math.abs(want[0] - plain[0]) + Math.abs(want[1] - plain[1])).isGreaterThan(1e-4);
    }

    @Test
    void adaptiveSamLeavesParametersOtherThanWeightsUnscaledAsTheAsamCodeDoes() {
        float[] bias = run(true, "fc.bias");
        double[] plain = samStep(false, 0.05, 0.1);
        for (int i = 0; i < 3; i++) assertThat((double) bias[i]).isCloseTo(plain[i], within(1e-6));
    }

    @Test
    void samAroundAdamWKeepsAdamWState() {
        Tensor w = param();
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", w);
        Sam sam = new Sam(AdamW.builder(params).learningRate(0.01).weightDecay(0).build(), 0.05, false);
        gradient(w);
        sam.step(() -> {
            w.zeroGrad();
            gradient(w);
        });
        assertThat(sam.stateDict()).isNotEmpty();
        // AdamW's first step moves every coordinate by lr * sign(gradient at w + e)
        float[] v = w.toFloatArray();
        for (int i = 0; i < 3; i++) assertThat((double) v[i]).isCloseTo(W0[i] - 0.01 * Math.signum(W0[i]), within(1e-5));
        sam.setLearningRate(0.5);
        assertThat(sam.base().learningRate()).isEqualTo(0.5);
    }

    @Test
    void samRefusesAStepWithoutSecondPassAndBadRho() {
        Map<String, Tensor> params = Map.of("w", param());
        Sam sam = new Sam(Sgd.builder(params).learningRate(0.1).build(), 0.05, false);
        assertThatThrownBy(sam::step).hasMessageContaining("step(recomputeGradients)");
        assertThatThrownBy(() -> new Sam(Sgd.builder(params).learningRate(0.1).build(), -1, false)).hasMessageContaining("-1");
    }
}
