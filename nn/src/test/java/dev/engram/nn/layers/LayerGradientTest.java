package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.engine.testing.GradCheck;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static dev.engram.nn.layers.TestValues.distinct;
import static dev.engram.nn.layers.TestValues.leaf;
import static dev.engram.nn.layers.TestValues.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/** Every layer's gradients (input and parameters) against central finite differences. */
class LayerGradientTest {

    /** Checks d(out)/d(input) and d(out)/d(every parameter) of {@code m} at {@code x}. */
    private static GradCheck.Report check(String name, long seed, Module m, Tensor x) {
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(leaf(x));
        inputs.addAll(m.namedParameters().values());
        GradCheck.Report r = GradCheck.of(name, seed).maxElements(24).check(in -> m.forward(in[0]), inputs.toArray(new Tensor[0]));
        assertThat(r.checked()).isGreaterThan(0);
        return r;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2})
    void linear(long seed) {
        check("linear", seed, new Linear(5, 3, true, seed), uniform(seed + 10, 2, 4, 5));
        check("linear no bias", seed, new Linear(5, 3, false, seed), uniform(seed + 11, 3, 5));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 4})
    void conv2d(long seed) {
        check("conv2d 3x3/2/1", seed, new Conv2d(2, 3, 3, 2, 1, true, Seeds.of(seed)), uniform(seed + 10, 2, 2, 5, 5));
        check("conv2d dilated", seed, new Conv2d(2, 2, 3, 1, 2, 2, false, Seeds.of(seed)), uniform(seed + 11, 1, 2, 6, 6));
    }

    @Test
    void batchNormTrainAndEval() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.weight().copyFrom(Tensor.of(new float[] {0.5f, 1.5f, -1f}, 3));
        bn.bias().copyFrom(Tensor.of(new float[] {0.1f, -0.2f, 0.3f}, 3));
        check("batch_norm train", 5, bn, uniform(15, 3, 3, 2, 2));
        bn.eval();
        bn.runningVar().copyFrom(Tensor.of(new float[] {0.5f, 2f, 1f}, 3));
        check("batch_norm eval", 6, bn, uniform(16, 2, 3, 2, 2));
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm(6);
        ln.weight().copyFrom(uniform(7, 6));
        ln.bias().copyFrom(uniform(8, 6));
        check("layer_norm", 7, ln, uniform(17, 2, 3, 6));
    }

    @Test
    void activationsAndShapes() {
        check("relu", 8, new ReLU(), distinct(18, 0.1, 2, 3, 4));
        check("gelu", 9, new GELU(), uniform(19, 2, 7).mul(3f));
        check("flatten", 10, new Flatten(), uniform(20, 2, 3, 2, 2));
        check("scale", 11, new Scale(0.2f), uniform(21, 2, 5));
        check("identity residual", 12, new Residual(new Linear(4, 4, true, 12)), uniform(22, 3, 4));
    }

    @Test
    void pooling() {
        check("max_pool 2", 13, new MaxPool2d(2), distinct(23, 0.1, 2, 2, 4, 4));
        check("max_pool 3/2/1", 14, new MaxPool2d(3, 2, 1), distinct(24, 0.1, 1, 2, 5, 5));
        check("avg_pool 2", 15, new AvgPool2d(2), uniform(25, 2, 2, 4, 4));
        check("adaptive_avg 1", 16, new AdaptiveAvgPool2d(1), uniform(26, 2, 3, 3, 3));
        check("adaptive_avg 2", 17, new AdaptiveAvgPool2d(2), uniform(27, 1, 2, 4, 4));
        check("adaptive_max 1", 18, new AdaptiveMaxPool2d(1), distinct(28, 0.1, 2, 3, 3, 3));
    }

    @Test
    void patchesAndTokens() {
        check("patchify", 19, new Patchify(2), uniform(29, 2, 3, 4, 4));
        check("shifted patch tokenization", 20, new ShiftedPatchTokenization(2, 2, 5, Seeds.of(20)), uniform(30, 2, 2, 4, 4));
        check("patch embedding", 21, new PatchEmbedding(1, 2, 4, Seeds.of(21)), uniform(31, 2, 1, 4, 4));
        check("class token embedding", 22, new ClassTokenEmbedding(3, 4, Seeds.of(22)), uniform(32, 2, 3, 4));
    }

    @ParameterizedTest(name = "locality {0}")
    @ValueSource(booleans = {true, false})
    void attention(boolean locality) {
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(6, 2, 3, 0f, !locality, locality, Seeds.of(23));
        check("attention", 23, a, uniform(33, 2, 4, 6));
        Tensor mask = Tensor.of(new float[] {1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1}, 4, 4);
        List<Tensor> in = new ArrayList<>(List.of(leaf(uniform(34, 2, 4, 6))));
        in.addAll(a.namedParameters().values());
        GradCheck.of("attention masked", 24).maxElements(24).check(t -> a.forward(t[0], mask), in.toArray(new Tensor[0]));
    }

    /**
     * Query rows whose every key is masked: the forward output of such a row is the uniform average of v, independent
     * of q, k and the LSA temperature, so finite differences give them zero gradient from that row; masked-fill
     * semantics (a select whose backward zeroes the masked positions) must match. An additive mask bias sends the
     * uniform row's softmax gradient into q, k and the temperature and fails these checks.
     */
    @Test
    void fullyMaskedQueryRowsGetTheGradientOfTheirForward() {
        // causal mask with LSA: query 0 may only see key 0, which LSA's diagonal masking removes
        MultiHeadSelfAttention lsa = new MultiHeadSelfAttention(6, 2, 3, 0f, false, true, Seeds.of(41));
        Tensor causal = Tensor.of(new float[] {1, 0, 0, 1, 1, 0, 1, 1, 1}, 3, 3);
        checkMasked("attention causal + LSA", 41, lsa, uniform(42, 2, 3, 6), causal);
        // an all-padding query: per-example mask with one row of zeros (example 1, query 2), standard attention
        MultiHeadSelfAttention std = new MultiHeadSelfAttention(6, 2, 3, 0f, true, false, Seeds.of(43));
        float[] m = new float[2 * 3 * 3];
        java.util.Arrays.fill(m, 1f);
        for (int j = 0; j < 3; j++) m[9 + 2 * 3 + j] = 0f;
        m[1] = 0f; // and an ordinary masked key elsewhere
        checkMasked("attention all-padding query", 43, std, uniform(44, 2, 3, 6), Tensor.of(m, 2, 3, 3));
        // T = 1 with LSA: the single token's only key is itself
        MultiHeadSelfAttention single = new MultiHeadSelfAttention(6, 2, 3, 0f, false, true, Seeds.of(45));
        check("attention T=1 LSA", 45, single, uniform(46, 2, 1, 6));
        // and the zero gradients are exact: with every row fully masked nothing reaches q, k or the temperature
        Tensor x = leaf(uniform(47, 2, 1, 6));
        single.zeroGrad();
        single.forward(x).sum().backward();
        assertThat(single.temperature().grad().toFloatArray()[0]).isZero();
        float[] wq = single.toQkv().namedParameters().get("weight").grad().toFloatArray();
        for (int r = 0; r < 12; r++) for (int c = 0; c < 6; c++) assertThat(wq[r * 6 + c]).as("q/k weight row %d", r).isZero();
    }

    private static void checkMasked(String name, long seed, MultiHeadSelfAttention a, Tensor x, Tensor mask) {
        List<Tensor> in = new ArrayList<>(List.of(leaf(x)));
        in.addAll(a.namedParameters().values());
        GradCheck.of(name, seed).maxElements(36).check(t -> a.forward(t[0], mask), in.toArray(new Tensor[0]));
    }

    @Test
    void transformerBlockAndFeedForward() {
        TransformerBlock block = new TransformerBlock(6, 2, 3, 8, 0.1f, true, Seeds.of(25));
        block.eval(); // dropout off: the function must be deterministic for finite differences
        check("transformer block", 25, block, uniform(35, 2, 3, 6));
        FeedForward ff = new FeedForward(4, 6, 0f, Seeds.of(26));
        check("feed forward", 26, ff, uniform(36, 2, 3, 4));
    }

    @Test
    void convBnGradientFlowsThroughEveryParameter() {
        // conv -> BN -> ReLU: ReLU kinks make finite differences unreliable, so check structure instead
        ConvBn block = new ConvBn(2, 3, Seeds.of(27));
        Tensor y = block.forward(uniform(37, 2, 2, 4, 4));
        y.sum().backward();
        for (var e : block.namedParameters().entrySet()) {
            assertThat(e.getValue().grad()).as(e.getKey()).isNotNull();
        }
        assertThat(block.namedParameters().keySet()).containsExactly("0.weight", "1.weight", "1.bias");
        assertThat(new Sequential(block).namedBuffers().keySet())
                .containsExactly("0.1.running_mean", "0.1.running_var", "0.1.num_batches_tracked");
    }
}
