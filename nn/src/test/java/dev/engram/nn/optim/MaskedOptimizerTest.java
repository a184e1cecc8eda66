package dev.engram.nn.optim;

import dev.engram.engine.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pruned weights stay exactly zero through optimizer steps (SGD with momentum and weight decay, AdamW, SAM around
 * SGD), and the kept weights follow the unmasked optimizer bit for bit (both update rules are element-wise, so the
 * values of the pruned weights never reach a kept one).
 */
class MaskedOptimizerTest {
    private static final int N = 12;
    private static final float[] MASK = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0};

    private static Map<String, Tensor> params(float[] w, float[] b) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("w", Tensor.of(w.clone(), 3, 4).requiresGrad(true).retain());
        p.put("b", Tensor.of(b.clone(), 3).requiresGrad(true).retain());
        return p;
    }

    private static Optimizer base(String kind, Map<String, Tensor> p) {
        return switch (kind) {
            case "sgd" -> Sgd.builder(p).learningRate(0.1).momentum(0.9).weightDecay(5e-4).build();
            case "adamw" -> AdamW.builder(p).learningRate(0.01).weightDecay(0.05).build();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Steps an optimizer {@code steps} times with the same seeded gradients as the other runs; returns the weights. */
    private static float[][] train(String kind, boolean masked, int steps) {
        Random r = new Random(7);
        float[] w = new float[N], b = new float[3];
        for (int i = 0; i < N; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < 3; i++) b[i] = (float) r.nextGaussian();
        Map<String, Tensor> p = params(w, b);
        Optimizer opt = base(kind, p);
        if (masked) {
            MaskedOptimizer m = new MaskedOptimizer(opt, Map.of("w", Tensor.of(MASK.clone(), 3, 4)));
            m.applyToWeights();
            opt = m;
        }
        for (int s = 0; s < steps; s++) {
            float[] gw = new float[N], gb = new float[3];
            for (int i = 0; i < N; i++) gw[i] = (float) r.nextGaussian();
            for (int i = 0; i < 3; i++) gb[i] = (float) r.nextGaussian();
            p.get("w").setGrad(Tensor.of(gw, 3, 4));
            p.get("b").setGrad(Tensor.of(gb, 3));
            opt.step();
            if (masked) {
                float[] now = p.get("w").toFloatArray();
                for (int i = 0; i < N; i++) if (MASK[i] == 0) assertThat(Math.abs(now[i])).as("pruned weight %d after step %d", i, s).isEqualTo(0f);
            }
        }
        return new float[][] {p.get("w").toFloatArray(), p.get("b").toFloatArray()};
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sgd", "adamw"})
    void prunedWeightsStayZeroAndKeptOnesFollowTheBaseOptimizer(String kind) {
        float[][] masked = train(kind, true, 25);
        float[][] plain = train(kind, false, 25);
        for (int i = 0; i < N; i++) {
            if (MASK[i] == 0) {
                assertThat(Math.abs(masked[0][i])).as("pruned weight %d is exactly zero (±0.0)", i).isEqualTo(0f);
            } else {
                assertThat(masked[0][i]).as("kept weight %d", i).isEqualTo(plain[0][i]).isNotEqualTo(0f);
            }
        }
        assertThat(masked[1]).as("the unmasked bias").containsExactly(plain[1]);
    }

    @Test
    void maskedGradientsLeaveNoMomentumOnPrunedWeights() {
        Map<String, Tensor> p = params(new float[N], new float[3]);
        Sgd sgd = Sgd.builder(p).learningRate(0.1).momentum(0.9).build();
        MaskedOptimizer m = new MaskedOptimizer(sgd, Map.of("w", Tensor.of(MASK.clone(), 3, 4)));
        float[] g = new float[N];
        java.util.Arrays.fill(g, 1f);
        p.get("w").setGrad(Tensor.of(g, 3, 4));
        m.step();
        float[] buf = m.stateDict().get("w.momentum_buffer").toFloatArray();
        for (int i = 0; i < N; i++) assertThat(buf[i]).as("momentum of weight %d", i).isEqualTo(MASK[i]);
    }

    @Test
    void samAroundSgdKeepsPrunedWeightsZero() {
        float[] w0 = {0.5f, -1f, 2f, 0.25f, 1f, -0.5f, 1.5f, 3f, -2f, 0.75f, -1.25f, 0.1f};
        Map<String, Tensor> p = params(w0, new float[] {0.1f, 0.2f, 0.3f});
        Tensor w = p.get("w");
        MaskedOptimizer m = new MaskedOptimizer(new Sam(Sgd.builder(p).learningRate(0.1).momentum(0.9).build(), 0.05, false),
                Map.of("w", Tensor.of(MASK.clone(), 3, 4)));
        m.applyToWeights();
        Function<float[], float[]> grad = v -> {
            float[] g = new float[N];
            for (int i = 0; i < N; i++) g[i] = 2 * v[i] + 1; // d/dw of w^2 + w: nonzero at w = 0
            return g;
        };
        for (int s = 0; s < 5; s++) {
            w.setGrad(Tensor.of(grad.apply(w.toFloatArray()), 3, 4));
            p.get("b").setGrad(Tensor.of(new float[] {1, 1, 1}, 3));
            m.step(() -> {
                w.zeroGrad();
                w.setGrad(Tensor.of(grad.apply(w.toFloatArray()), 3, 4));
            });
            float[] now = w.toFloatArray();
            for (int i = 0; i < N; i++) {
                if (MASK[i] == 0) assertThat(Math.abs(now[i])).isEqualTo(0f);
                else assertThat(now[i]).isNotEqualTo(0f);
            }
        }
    }

    @Test
    void samInsideMasksTakesSamsStepOfTheSparseNetworkByHand() {
        float[] w0 = {0.5f, -1f, 2f, 0.25f, 1f, -0.5f, 1.5f, 3f, -2f, 0.75f, -1.25f, 0.1f};
        Map<String, Tensor> p = params(w0, new float[] {0.1f, 0.2f, 0.3f});
        Tensor w = p.get("w");
        double lr = 0.1, rho = 0.05;
        MaskedOptimizer m = new MaskedOptimizer(new Sam(Sgd.builder(p).learningRate(lr).build(), rho, false),
                Map.of("w", Tensor.of(MASK.clone(), 3, 4)));
        m.applyToWeights();
        Function<float[], float[]> grad = v -> {
            float[] g = new float[N];
            for (int i = 0; i < N; i++) g[i] = 2 * v[i] + 1;
            return g;
        };
        w.setGrad(Tensor.of(grad.apply(w.toFloatArray()), 3, 4));
        p.get("b").setGrad(Tensor.of(new float[] {1, 1, 1}, 3));
        m.step(() -> {
            w.zeroGrad();
            w.setGrad(Tensor.of(grad.apply(w.toFloatArray()), 3, 4));
        });
        // Foret et al.: e = rho g / ||g|| over the masked gradient (pruned weights contribute nothing, b's gradient is 1),
        // the gradient at w + e masked again, then plain SGD from w
        double sq = 3;
        for (int i = 0; i < N; i++) sq += MASK[i] * (2.0 * w0[i] * MASK[i] + 1) * (2.0 * w0[i] * MASK[i] + 1);
        float[] now = w.toFloatArray(), b = p.get("b").toFloatArray();
        for (int i = 0; i < N; i++) {
            double wi = w0[i] * MASK[i];
            double e = rho * MASK[i] * (2 * wi + 1) / Math.sqrt(sq);
            double expected = MASK[i] * (wi - lr * (2 * (wi + e) + 1));
            assertThat((double) now[i]).as("weight %d", i).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-6));
        }
        float[] b0 = {0.1f, 0.2f, 0.3f};
        for (int i = 0; i < 3; i++) assertThat((double) b[i]).isCloseTo(b0[i] - lr, org.assertj.core.api.Assertions.within(1e-6));
    }

    @Test
    void samAroundMasksIsRefusedNamingTheOrderThatWorks() {
        Map<String, Tensor> p = params(new float[N], new float[3]);
        MaskedOptimizer masked = new MaskedOptimizer(Sgd.builder(p).learningRate(0.1).build(), Map.of("w", Tensor.of(MASK.clone(), 3, 4)));
        assertThatThrownBy(() -> new Sam(masked, 0.05, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("new MaskedOptimizer(new Sam(");
    }

    @Test
    void badMasksAreNamed() {
        Map<String, Tensor> p = params(new float[N], new float[3]);
        Sgd sgd = Sgd.builder(p).learningRate(0.1).build();
        assertThatThrownBy(() -> new MaskedOptimizer(sgd, Map.of("v", Tensor.of(MASK.clone(), 3, 4))))
                .hasMessageContaining("mask 'v' names no optimized parameter");
        assertThatThrownBy(() -> new MaskedOptimizer(sgd, Map.of("w", Tensor.of(MASK.clone(), 4, 3))))
                .hasMessageContaining("mask 'w'").hasMessageContaining("shape");
        float[] half = MASK.clone();
        half[2] = 0.5f;
        assertThatThrownBy(() -> new MaskedOptimizer(sgd, Map.of("w", Tensor.of(half, 3, 4))))
                .hasMessageContaining("holds 0.5 at element 2");
    }
}
