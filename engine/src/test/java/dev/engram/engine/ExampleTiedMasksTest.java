package dev.engram.engine;

import dev.engram.engine.spi.Distribution;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ExampleTiedMasksTest {
    private final Device cpu = Backends.defaultDevice();

    private static float[] row(Tensor t, int b) {
        int c = t.shape()[1];
        return Arrays.copyOfRange(t.toFloatArray(), b * c, (b + 1) * c);
    }

    @Test
    void sameSeedExampleAndLayerGiveTheSameMaskInAnyBatch() {
        Tensor a = ExampleTiedMasks.train(cpu, 42, new int[] {7, 3}, 2, 64, 0.25, 0.5);
        Tensor b = ExampleTiedMasks.train(cpu, 42, new int[] {1, 9, 7}, 2, 64, 0.25, 0.5);
        assertThat(row(b, 2)).containsExactly(row(a, 0));
        assertThat(row(a, 0)).isNotEqualTo(row(a, 1));
        Tensor otherLayer = ExampleTiedMasks.train(cpu, 42, new int[] {7}, 3, 64, 0.25, 0.5);
        Tensor otherSeed = ExampleTiedMasks.train(cpu, 43, new int[] {7}, 2, 64, 0.25, 0.5);
        assertThat(row(otherLayer, 0)).isNotEqualTo(row(a, 0));
        assertThat(row(otherSeed, 0)).isNotEqualTo(row(a, 0));
    }

    @Test
    void generalizationChannelsAreKeptAndMemorizationChannelsAreBernoulli() {
        int examples = 2000, channels = 40;
        int[] ids = PerExampleFixtures.all(examples);
        float[] m = ExampleTiedMasks.train(cpu, 5, ids, 0, channels, 0.3, 0.2).toFloatArray();
        int g = ExampleTiedMasks.generalizationChannels(channels, 0.3);
        assertThat(g).isEqualTo(12);
        double kept = 0;
        for (int b = 0; b < examples; b++) {
            for (int c = 0; c < channels; c++) {
                float v = m[b * channels + c];
                if (c < g) assertThat(v).isEqualTo(1f);
                else {
                    assertThat(v).isIn(0f, 1f);
                    kept += v;
                }
            }
        }
        assertThat(kept / (examples * (channels - g))).isCloseTo(0.2, within(0.01));
    }

    @Test
    void bitsAreWhatTheBackendRandomFillDrawsAtTheExampleCounter() {
        int[] ids = {0, 12345, 59999};
        Tensor bits = ExampleTiedMasks.bernoulli(cpu, 99, ids, 4, 37, 0.4);
        for (int b = 0; b < ids.length; b++) {
            Tensor ref = Tensor.zeros(cpu, 37);
            ref.backend().randomFill(ref.storage(), 37, Distribution.BERNOULLI, 0.4f, 0f, 99,
                    ExampleTiedMasks.counterOffset(ids[b], 4));
            assertThat(row(bits, b)).containsExactly(ref.toFloatArray());
        }
    }

    @Test
    void evaluationModes() {
        assertThat(ExampleTiedMasks.expectation(cpu, 5, 0.4, 0.3).toFloatArray()).containsExactly(1f, 1f, 0.3f, 0.3f, 0.3f);
        float s = (float) ((0.4 + 0.3) / 0.4);
        assertThat(ExampleTiedMasks.drop(cpu, 5, 0.4, 0.3).toFloatArray()).containsExactly(s, s, 0f, 0f, 0f);
        assertThat(ExampleTiedMasks.train(cpu, 1, new int[] {3, 4}, 0, 6, 1.0, 0.1).toFloatArray()).containsOnly(1f);
        assertThat(ExampleTiedMasks.drop(cpu, 3, 1.0, 0.1).toFloatArray()).containsOnly(1f);
        assertThatThrownBy(() -> ExampleTiedMasks.drop(cpu, 3, 0.0, 0.1)).hasMessageContaining("pGen > 0");
        assertThatThrownBy(() -> ExampleTiedMasks.train(cpu, 1, new int[] {-1}, 0, 4, 0.5, 0.5))
                .hasMessageContaining("negative example id");
        assertThatThrownBy(() -> ExampleTiedMasks.train(cpu, 1, new int[] {1}, 0, 4, 0.5, 1.5)).hasMessageContaining("pMem");
    }

    @Test
    void trainMaskAppliedWithMaskOpZeroesExactlyTheDroppedChannels() {
        Gen g = new Gen(3);
        Tensor x = Tensor.of(g.awayFromZero(2 * 8 * 3, 0.1, 1), 2, 8, 3);
        Tensor m = ExampleTiedMasks.train(cpu, 11, new int[] {5, 6}, 1, 8, 0.5, 0.5);
        float[] y = Functional.mask(x, m).toFloatArray(), xv = x.toFloatArray(), mv = m.toFloatArray();
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 8; c++) {
                for (int t = 0; t < 3; t++) {
                    int k = (b * 8 + c) * 3 + t;
                    assertThat(y[k]).isEqualTo(mv[b * 8 + c] == 0f ? 0f : xv[k]);
                }
            }
        }
    }
}
