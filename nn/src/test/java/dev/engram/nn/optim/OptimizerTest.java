package dev.engram.nn.optim;

import dev.engram.engine.Tensor;
import dev.engram.engine.Tensors;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** SGD and AdamW updates against values computed by hand from PyTorch's update rules. */
@SuppressWarnings("try")
class OptimizerTest {
    private static final float[][] GRADS = {{0.5f, 0.25f}, {-1f, 0.5f}, {0.1f, 0.2f}};

    private static Map<String, Tensor> param(float... values) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.of(values, values.length).requiresGrad(true).retain());
        return m;
    }

    private static float[][] run(Optimizer opt, float[][] grads) {
        Tensor p = opt.parameters().get("w");
        float[][] out = new float[grads.length][];
        for (int k = 0; k < grads.length; k++) {
            p.setGrad(Tensor.of(grads[k], grads[k].length));
            opt.step();
            out[k] = p.toFloatArray();
        }
        return out;
    }

    private static void assertClose(float[] actual, double... expected) {
        assertThat(actual).hasSize(expected.length);
        for (int k = 0; k < expected.length; k++) assertThat((double) actual[k]).isCloseTo(expected[k], within(2e-6));
    }

    @Test
    void sgdMomentumWithCoupledWeightDecayMatchesHandComputedSteps() {
        // d = g + 0.01 p; buf = d on step 1, else 0.9 buf + d; p -= 0.1 buf
        // step 1: d = [0.51, 0.23] -> p = [0.949, -2.023]
        // step 2: d = [-0.99051, 0.47977], buf = [-0.53151, 0.68677] -> p = [1.002151, -2.091677]
        // step 3: d = [0.11002151, 0.17908323], buf = [-0.36833749, 0.79717623] -> p = [1.038984749, -2.171394623]
        Sgd sgd = Sgd.builder(param(1f, -2f)).learningRate(0.1).momentum(0.9).weightDecay(0.01).build();
        float[][] p = run(sgd, GRADS);
        assertClose(p[0], 0.949, -2.023);
        assertClose(p[1], 1.002151, -2.091677);
        assertClose(p[2], 1.038984749, -2.171394623);
        assertClose(sgd.stateDict().get("w.momentum_buffer").toFloatArray(), -0.36833749, 0.79717623);
    }

    @Test
    void sgdNesterovMatchesHandComputedSteps() {
        // buf as above without wd; p -= 0.1 (g + 0.9 buf)
        Sgd sgd = Sgd.builder(param(1f, -2f)).learningRate(0.1).momentum(0.9).nesterov(true).build();
        float[][] p = run(sgd, GRADS);
        assertClose(p[0], 0.905, -2.0475);
        assertClose(p[1], 1.0545, -2.16275);
        assertClose(p[2], 1.08005, -2.259475);
    }

    @Test
    void sgdDampeningSkipsTheFirstStep() {
        // step 1: buf = g (no dampening); later buf = 0.9 buf + 0.5 g
        Sgd sgd = Sgd.builder(param(1f, -2f)).learningRate(0.1).momentum(0.9).dampening(0.5).build();
        float[][] p = run(sgd, GRADS);
        assertClose(p[0], 0.95, -2.025);
        assertClose(p[1], 0.955, -2.0725);
        assertClose(p[2], 0.9545, -2.12525);
    }

    @Test
    void plainSgdHasNoStateAndSkipsParametersWithoutGradient() {
        Map<String, Tensor> params = param(1f, 2f);
        params.put("frozen", Tensor.of(new float[] {3f}, 1).requiresGrad(true).retain());
        Sgd sgd = Sgd.builder(params).learningRate(0.5).weightDecay(0.1).build();
        params.get("w").setGrad(Tensor.of(new float[] {1f, -1f}, 2));
        sgd.step();
        assertClose(params.get("w").toFloatArray(), 1 - 0.5 * 1.1, 2 - 0.5 * (-1 + 0.2));
        assertThat(params.get("frozen").toFloatArray()).containsExactly(3f); // no grad: no decay either
        assertThat(sgd.stateDict()).isEmpty();
    }

    @Test
    void adamWMatchesHandComputedSteps() {
        // p *= 1 - lr wd; m, v moments; p -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)
        // step 1 (g 0.5): 0.99 - 0.05/(0.5 + 1e-8) = 0.890000002
        AdamW adam = AdamW.builder(param(1f)).learningRate(0.1).weightDecay(0.1).build();
        float[][] p = run(adam, new float[][] {{0.5f}, {-0.25f}, {1f}});
        assertClose(p[0], 0.8900000019999998);
        assertClose(p[1], 0.8544662986878462);
        assertClose(p[2], 0.7801104766702112);
        assertThat(adam.stepCount("w")).isEqualTo(3);
        assertThat(adam.stateDict().get("w.step").toIntArray()).containsExactly(3);
    }

    @Test
    void stateSurvivesTensorScopesAndTheLearningRateIsApplied() {
        Sgd sgd = Sgd.builder(param(1f, -2f)).learningRate(0.1).momentum(0.9).build();
        Tensor p = sgd.parameters().get("w");
        try (var scope = Tensors.scope()) {
            p.setGrad(Tensor.of(new float[] {1f, 1f}, 2));
            sgd.step();
        }
        assertThat(sgd.stateDict().get("w.momentum_buffer").isFreed()).isFalse();
        assertThat(p.grad().isFreed()).isFalse();
        sgd.setLearningRate(0);
        sgd.step();
        assertClose(p.toFloatArray(), 0.9, -2.1);
    }

    @Test
    void stateDictRoundTripContinuesIdentically() {
        for (boolean adam : new boolean[] {false, true}) {
            Optimizer a = adam ? AdamW.builder(param(1f, -2f)).learningRate(0.05).build()
                    : Sgd.builder(param(1f, -2f)).learningRate(0.05).momentum(0.9).weightDecay(5e-4).build();
            run(a, new float[][] {GRADS[0], GRADS[1]});
            Optimizer b = adam ? AdamW.builder(param(a.parameters().get("w").toFloatArray())).learningRate(0.05).build()
                    : Sgd.builder(param(a.parameters().get("w").toFloatArray())).learningRate(0.05).momentum(0.9).weightDecay(5e-4).build();
            Map<String, Tensor> copied = new LinkedHashMap<>();
            a.stateDict().forEach((k, v) -> copied.put(k, v.copy()));
            b.loadStateDict(copied);
            float[] pa = run(a, new float[][] {GRADS[2]})[0];
            float[] pb = run(b, new float[][] {GRADS[2]})[0];
            assertThat(pb).containsExactly(pa);
        }
    }

    @Test
    void loadStateDictReportsEveryProblemAtOnce() {
        AdamW adam = AdamW.builder(param(1f, -2f)).build();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("w.exp_avg", Tensor.zeros(3));
        bad.put("w.exp_avg_sq", Tensor.zeros(2));
        bad.put("nope.exp_avg", Tensor.zeros(2));
        bad.put("w.momentum_buffer", Tensor.zeros(2));
        assertThatThrownBy(() -> adam.loadStateDict(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'w.exp_avg': expected [2] float32, found [3] float32")
                .hasMessageContaining("unexpected 'nope.exp_avg'")
                .hasMessageContaining("unexpected 'w.momentum_buffer'")
                .hasMessageContaining("missing 'w.step'");
        assertThat(adam.stateDict()).isEmpty();
    }

    @Test
    void rejectsBadHyperparameters() {
        assertThatThrownBy(() -> Sgd.builder(param(1f)).learningRate(0.1).nesterov(true).build())
                .hasMessageContaining("Nesterov");
        assertThatThrownBy(() -> Sgd.builder(param(1f)).build()).hasMessageContaining("learningRate");
        assertThatThrownBy(() -> AdamW.builder(param(1f)).betas(1.0, 0.5).build()).hasMessageContaining("betas");
        assertThatThrownBy(() -> Sgd.builder(param(1f)).learningRate(Double.NaN).build()).hasMessageContaining("learningRate");
        assertThatThrownBy(() -> Sgd.builder(param(1f)).learningRate(-1).build()).hasMessageContaining("learning rate");
    }

    @Test
    void aGraphThatHeldTheWeightsBeforeAStepCannotBeBackPropagatedAfterIt() {
        Tensor w = Tensor.of(new float[] {1f, -2f}, 2).requiresGrad(true).retain();
        Tensor x = Tensor.of(new float[] {3f, 4f}, 2);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", w);
        Sgd sgd = Sgd.builder(params).learningRate(0.1).build();
        Tensor loss = w.mul(w).mul(x).sum(); // the gradient reads w
        loss.backward(Tensor.full(loss.device(), 1f, loss.shape()), true);
        sgd.step();
        assertThatThrownBy(() -> loss.backward(Tensor.full(loss.device(), 1f, loss.shape()), false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("written in place");
        // a new forward pass after the step is fine
        sgd.zeroGrad();
        w.mul(w).mul(x).sum().backward();
        assertThat(w.grad().toFloatArray()[0]).isEqualTo(2 * (1f - 0.1f * 6f) * 3f, within(1e-5f));
    }
}
