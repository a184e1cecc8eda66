package dev.engram.nn.models;

import dev.engram.engine.Functional;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.engram.nn.layers.TestValues.labels;
import static dev.engram.nn.layers.TestValues.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The CNN models use only ops with per-example rules, so the engine's per-example gradients need
 * no batch-of-one fallback (it would throw without a recompute closure) and equal the gradients
 * of single-example backward passes (evaluation mode: batch-norm is then per-example).
 */
class PerExampleCompatibilityTest {

    private static void check(Module m, Tensor x, Tensor y) {
        m.eval();
        int b = x.dim(0);
        List<Tensor> params = new ArrayList<>(m.namedParameters().values());
        m.zeroGrad();
        PerExampleGradients pe = PerExample.collect(params, PerExample.Mode.GRADIENTS);
        try (pe) {
            Functional.crossEntropyPerExample(m.forward(x), y).sum().backward();
        }
        for (int i = 0; i < b; i++) {
            m.zeroGrad();
            Tensor xi = x.slice(0, i, i + 1), yi = y.slice(0, i, i + 1);
            Functional.crossEntropyPerExample(m.forward(xi), yi).sum().backward();
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                float[] single = e.getValue().grad().toFloatArray();
                Tensor all = pe.gradients(e.getValue());
                int n = single.length;
                float[] row = new float[n];
                System.arraycopy(all.toFloatArray(), i * n, row, 0, n);
                for (int k = 0; k < n; k++) {
                    assertThat(row[k]).as("%s %s example %d element %d", m.getClass().getSimpleName(), e.getKey(), i, k)
                            .isCloseTo(single[k], within(1e-4f + 1e-3f * Math.abs(single[k])));
                }
            }
        }
    }

    @Test
    void mlpSmallCnnAndResNet9() {
        check(new Mlp(1, 12, 8, 4), uniform(1, 3, 12), labels(3, 4));
        check(new SmallCnn(1, 8, 5, 2), uniform(2, 3, 1, 8, 8), labels(3, 5));
        check(new ResNet9(3, 10, 0.0625, 3), uniform(3, 2, 3, 16, 16), labels(2, 10));
    }
}
