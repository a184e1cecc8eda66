package dev.engram.nn.layers;

import dev.engram.engine.ExampleTiedMasks;
import dev.engram.engine.Tensor;
import dev.engram.engine.testing.GradCheck;
import dev.engram.nn.BatchContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Modes, reproducibility and gradients of {@link ExampleTiedDropout}. */
class ExampleTiedDropoutTest {
    private static final int[] IDS = {7, 123, 59_999, 3};

    /** Input of positive values so that a zero output can only come from the mask. */
    private static Tensor positive(long seed, int... shape) {
        return Tensor.rand(seed, 0.5f, 1.5f, shape);
    }

    private static float[] forward(ExampleTiedDropout d, Tensor x, int[] ids) {
        try (var c = BatchContext.of(ids)) {
            return d.forward(x).toFloatArray();
        }
    }

    @ParameterizedTest(name = "channels {0}")
    @ValueSource(ints = {10, 64, 129})
    void dropModeZeroesExactlyTheMemorizationChannels(int channels) {
        ExampleTiedDropout d = new ExampleTiedDropout(0.2, 0.1, 3, 42);
        d.eval();
        d.setEvalMode(ExampleTiedDropout.Mode.DROP);
        int b = 2, hw = 9;
        Tensor x = positive(1, b, channels, 3, 3);
        float[] in = x.toFloatArray();
        float[] y = d.forward(x).toFloatArray(); // no example ids needed in DROP mode
        int g = (int) (0.2 * channels);
        float scale = (float) ((0.2 + 0.1) / 0.2);
        for (int e = 0; e < b; e++) {
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < hw; p++) {
                    int k = (e * channels + c) * hw + p;
                    if (c < g) assertThat(y[k]).isCloseTo(in[k] * scale, org.assertj.core.data.Offset.offset(1e-6f));
                    else assertThat(y[k]).isEqualTo(0f);
                }
            }
        }
    }

    @Test
    void trainModeUsesTheExamplesOwnMaskReproducibly() {
        int channels = 50;
        ExampleTiedDropout d = new ExampleTiedDropout(0.2, 0.3, 5, 9);
        Tensor x = positive(2, IDS.length, channels);
        float[] a = forward(d, x, IDS);
        float[] again = forward(new ExampleTiedDropout(0.2, 0.3, 5, 9), x, IDS);
        assertThat(again).containsExactly(a);
        float[] mask = ExampleTiedMasks.train(x.device(), 9, IDS, 5, channels, 0.2, 0.3).toFloatArray();
        float[] in = x.toFloatArray();
        int kept = 0;
        for (int k = 0; k < a.length; k++) {
            assertThat(a[k]).isEqualTo(in[k] * mask[k]);
            if (k % channels >= 10 && mask[k] == 1f) kept++;
        }
        // 4 examples x 40 memorization units at p = 0.3: 48 expected, far from 0 and from 160
        assertThat(kept).isBetween(20, 80);
        // the mask of an example does not depend on its batch companions or position
        float[] alone = forward(d, x.slice(0, 2, 3), new int[] {IDS[2]});
        for (int c = 0; c < channels; c++) assertThat(alone[c]).isEqualTo(a[2 * channels + c]);
        // another layer id or seed gives other masks
        assertThat(forward(new ExampleTiedDropout(0.2, 0.3, 6, 9), x, IDS)).isNotEqualTo(a);
        assertThat(forward(new ExampleTiedDropout(0.2, 0.3, 5, 10), x, IDS)).isNotEqualTo(a);
    }

    @Test
    void testModeIsTheExpectationOfTheTrainMasks() {
        int channels = 20;
        ExampleTiedDropout d = new ExampleTiedDropout(0.5, 0.25, 0, 1);
        d.eval();
        Tensor x = Tensor.ones(1, channels);
        float[] y = d.forward(x).toFloatArray();
        for (int c = 0; c < channels; c++) assertThat(y[c]).isEqualTo(c < 10 ? 1f : 0.25f);
        // mean of own masks over many examples approaches the expectation
        int n = 4000;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        d.train(true);
        float[] own = forward(d, Tensor.ones(n, channels), ids);
        double sum = 0;
        for (int i = 0; i < n; i++) for (int c = 10; c < channels; c++) sum += own[i * channels + c];
        assertThat(sum / (n * 10.0)).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02));
    }

    @Test
    void pGenOneIsTheIdentityAndBadInputsAreNamed() {
        Tensor x = positive(3, 2, 4);
        assertThat(new ExampleTiedDropout(1.0, 0.1, 0, 1).forward(x).toFloatArray()).containsExactly(x.toFloatArray());
        assertThatThrownBy(() -> new ExampleTiedDropout(0, 0.1, 0, 1)).hasMessageContaining("pGen");
        assertThatThrownBy(() -> new ExampleTiedDropout(0.2, 1.5, 0, 1)).hasMessageContaining("pMem");
        assertThatThrownBy(() -> new ExampleTiedDropout(0.2, 0.1, 0, 1).forward(x)).hasMessageContaining("BatchContext");
        assertThatThrownBy(() -> forward(new ExampleTiedDropout(0.2, 0.1, 0, 1), x, new int[] {1, 2, 3}))
                .hasMessageContaining("3 example ids");
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        ExampleTiedDropout d = new ExampleTiedDropout(0.3, 0.5, 2, 4);
        Tensor x = TestValues.uniform(5, 3, 8, 2, 2).requiresGrad(true);
        GradCheck.Report r;
        try (var c = BatchContext.of(new int[] {1, 2, 3})) {
            r = GradCheck.of("example-tied dropout", 5).maxElements(24).check(in -> d.forward(in[0]), x);
        }
        assertThat(r.checked()).isGreaterThan(0);
    }
}
