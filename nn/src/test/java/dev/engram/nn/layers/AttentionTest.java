package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.init.Seeds;
import org.junit.jupiter.api.Test;

import static dev.engram.nn.layers.TestValues.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Attention masks, locality self-attention and parameter layout. */
class AttentionTest {
    private static float[] row(float[] y, int b, int t, int tokens, int dim) {
        float[] r = new float[dim];
        System.arraycopy(y, (b * tokens + t) * dim, r, 0, dim);
        return r;
    }

    /** Replaces token {@code t} of every example by other values. */
    private static Tensor perturbToken(Tensor x, int t, long seed) {
        int[] s = x.shape();
        float[] v = x.toFloatArray(), p = uniform(seed, s[0] * s[2]).toFloatArray();
        for (int b = 0; b < s[0]; b++) for (int d = 0; d < s[2]; d++) v[(b * s[1] + t) * s[2] + d] = 5 * p[b * s[2] + d];
        return Tensor.of(v, s);
    }

    @Test
    void parametersFollowTheReferenceNamesAndTemperatureStartsAtLogScale() {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(8, 2, 4, 0f, false, true, Seeds.of(1));
        assertThat(a.namedParameters().keySet()).containsExactly("temperature", "to_qkv.weight", "to_out.0.weight", "to_out.0.bias");
        assertThat(a.temperature().shape()).isEmpty();
        assertThat((double) a.temperature().item()).isCloseTo(Math.log(Math.pow(4, -0.5)), within(1e-6));
        assertThat(a.toQkv().weight().shape()).containsExactly(24, 8);
        MultiHeadSelfAttention plain = new MultiHeadSelfAttention(8, 2, 4, 0f, true, false, Seeds.of(1));
        assertThat(plain.namedParameters().keySet()).containsExactly("to_qkv.weight", "to_qkv.bias", "to_out.0.weight", "to_out.0.bias");
    }

    @Test
    void localityAttentionNeverAttendsToItsOwnToken() {
        // with two tokens and the diagonal masked, token 0 attends only to token 1, whatever its own value
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(6, 2, 3, 0f, false, true, Seeds.of(2));
        Tensor x = uniform(3, 2, 2, 6);
        float[] y1 = a.forward(x).toFloatArray(), y2 = a.forward(perturbToken(x, 0, 4)).toFloatArray();
        for (int b = 0; b < 2; b++) {
            float[] r1 = row(y1, b, 0, 2, 6), r2 = row(y2, b, 0, 2, 6);
            for (int d = 0; d < 6; d++) assertThat(r2[d]).isCloseTo(r1[d], within(1e-5f));
            assertThat(row(y2, b, 1, 2, 6)).isNotEqualTo(row(y1, b, 1, 2, 6));
        }
        // plain attention does look at the own token
        MultiHeadSelfAttention p = new MultiHeadSelfAttention(6, 2, 3, 0f, false, false, Seeds.of(2));
        assertThat(row(p.forward(perturbToken(x, 0, 4)).toFloatArray(), 0, 0, 2, 6)).isNotEqualTo(row(p.forward(x).toFloatArray(), 0, 0, 2, 6));
    }

    @Test
    void maskedKeysDoNotInfluenceOtherTokens() {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(4, 2, 2, 0f, false, false, Seeds.of(5));
        int t = 3;
        float[] shared = {1, 1, 0, 1, 1, 0, 1, 1, 1}; // no query may attend to key 2 except token 2 itself
        Tensor x = uniform(6, 2, t, 4), x2 = perturbToken(x, 2, 7);
        for (Tensor mask : new Tensor[] {Tensor.of(shared, t, t), Tensor.of(concat(shared, shared), 2, t, t)}) {
            float[] y1 = a.forward(x, mask).toFloatArray(), y2 = a.forward(x2, mask).toFloatArray();
            assertThat(a.forward(x, mask).shape()).containsExactly(2, t, 4);
            for (int b = 0; b < 2; b++) {
                for (int q = 0; q < 2; q++) {
                    float[] r1 = row(y1, b, q, t, 4), r2 = row(y2, b, q, t, 4);
                    for (int d = 0; d < 4; d++) assertThat(r2[d]).isCloseTo(r1[d], within(1e-5f));
                }
            }
            float[] unmasked1 = a.forward(x).toFloatArray(), unmasked2 = a.forward(x2).toFloatArray();
            assertThat(row(unmasked2, 0, 0, t, 4)).isNotEqualTo(row(unmasked1, 0, 0, t, 4));
        }
    }

    @Test
    void perExampleMasksApplyToTheirOwnExample() {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(4, 1, 4, 0f, false, false, Seeds.of(8));
        float[] open = {1, 1, 1, 1}, blockKey1 = {1, 0, 1, 1};
        Tensor x = uniform(9, 2, 2, 4), x2 = perturbToken(x, 1, 10);
        Tensor mask = Tensor.of(concat(open, blockKey1), 2, 2, 2);
        float[] y1 = a.forward(x, mask).toFloatArray(), y2 = a.forward(x2, mask).toFloatArray();
        assertThat(row(y2, 0, 0, 2, 4)).isNotEqualTo(row(y1, 0, 0, 2, 4)); // example 0 sees key 1
        float[] r1 = row(y1, 1, 0, 2, 4), r2 = row(y2, 1, 0, 2, 4);         // example 1 does not
        for (int d = 0; d < 4; d++) assertThat(r2[d]).isCloseTo(r1[d], within(1e-5f));
    }

    @Test
    void wrongMaskAndInputShapesAreRejectedWithTheShapes() {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(4, 2, 2, 0f, false, true, Seeds.of(11));
        Tensor x = uniform(12, 2, 3, 4);
        assertThatThrownBy(() -> a.forward(x, Tensor.ones(3, 4))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 4]").hasMessageContaining("[3, 3] or [2, 3, 3]");
        assertThatThrownBy(() -> a.forward(x, Tensor.ones(3, 3, 3))).hasMessageContaining("[3, 3, 3]");
        assertThatThrownBy(() -> a.forward(Tensor.zeros(2, 3, 5))).hasMessageContaining("[B, T, 4]").hasMessageContaining("[2, 3, 5]");
    }

    @Test
    void repeatedForwardsInSeparateScopesAgree() {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(4, 2, 2, 0f, false, true, Seeds.of(15));
        float[] first, second;
        try (var s = dev.engram.engine.Tensors.scope()) {
            first = a.forward(uniform(16, 2, 3, 4)).toFloatArray();
        }
        try (var s = dev.engram.engine.Tensors.scope()) {
            Tensor x = uniform(16, 2, 3, 4);
            Tensor y = a.forward(x);
            y.sum().backward();
            second = y.toFloatArray();
        }
        assertThat(second).containsExactly(first);
        assertThat(a.temperature().grad()).isNotNull();
    }

    @Test
    void transformerBlockNamesAndTaps() {
        TransformerBlock block = new TransformerBlock(8, 2, 4, 16, 0.1f, true, Seeds.of(13));
        assertThat(block.namedParameters().keySet()).containsExactly("0.norm.weight", "0.norm.bias", "0.fn.temperature",
                "0.fn.to_qkv.weight", "0.fn.to_out.0.weight", "0.fn.to_out.0.bias", "1.norm.weight", "1.norm.bias",
                "1.fn.net.0.weight", "1.fn.net.0.bias", "1.fn.net.3.weight", "1.fn.net.3.bias");
        try (var rec = dev.engram.nn.Taps.record()) {
            block.forward(uniform(14, 2, 3, 8));
            assertThat(rec.shapes().keySet()).containsExactly("1.fn.hidden", "out");
            assertThat(rec.shapes().get("1.fn.hidden")).containsExactly(2, 3, 16);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = new float[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
