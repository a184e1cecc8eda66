package dev.engram.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-example gradients of parameters without an example axis that are broadcast over the batch
 * (position embedding added, class token expanded and concatenated, a learned scale), against
 * batch-of-one backward passes: with a mean loss over B examples, g_b = (1/B) grad of example b's loss.
 */
class PerExampleBroadcastRulesTest {
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {3, 17, 101})
    void broadcastParametersMatchBatchOfOnePasses(long seed) {
        Gen g = new Gen(seed);
        int b = g.between(2, 5), t = g.between(2, 4), d = g.between(2, 5), classes = 3;
        Tensor x = Tensor.of(g.values(b * t * d, -1, 1), b, t, d);
        Tensor pos = g.param(1, t + 1, d), cls = g.param(1, 1, d), scale = g.param(d), w = g.param(classes, d);
        int[] labels = g.labels(b, classes);
        List<Tensor> params = List.of(pos, cls, scale, w);
        // tokens: cat(cls, x) + pos, scaled per feature, mean-pooled over tokens, linear head
        BiFunction<Tensor, Tensor, Tensor> loss = (xs, ys) -> {
            int n = xs.shape()[0];
            Tensor tokens = Functional.cat(1, cls.expand(n, 1, d), xs).add(pos).mul(scale).gelu();
            return Functional.crossEntropy(Functional.linear(tokens.mean(1, false), w, null), ys);
        };
        float[][] perExample = new float[params.size()][];
        try (PerExampleGradients pe = PerExample.collect(params, PerExample.Mode.GRADIENTS)) {
            loss.apply(x, Tensor.ofInts(labels, b)).backward();
            for (int k = 0; k < params.size(); k++) perExample[k] = pe.gradients(params.get(k)).toFloatArray();
        }
        for (int e = 0; e < b; e++) {
            for (Tensor p : params) p.zeroGrad();
            Tensor xe = x.slice(0, e, e + 1);
            loss.apply(xe, Tensor.ofInts(new int[] {labels[e]}, 1)).backward();
            for (int k = 0; k < params.size(); k++) {
                float[] single = params.get(k).grad().toFloatArray();
                int n = single.length;
                for (int j = 0; j < n; j++) {
                    assertThat(perExample[k][e * n + j]).as("param %d example %d element %d", k, e, j)
                            .isCloseTo(single[j] / b, org.assertj.core.data.Offset.offset(1e-5f + 1e-4f * Math.abs(single[j])));
                }
            }
        }
    }
}
