package dev.engram.memorization.flip;

import dev.engram.engine.Tensors;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The noisy input copies of the flipping search do not depend on the CPU thread count. */
class NoisyInputsFlipTest {
    @Test
    void noisyInputsAreIdenticalWithOneTwoAndThreeThreads() {
        ExampleSet data = SyntheticData.clusters(240, 4, 4, 0.8, 0.1, 3);
        NeuronFlipping f = NeuronFlipping.create(new Mlp(11, 16, 48, 48, 4), data,
                NeuronFlipping.Options.DEFAULTS.toBuilder().referenceSize(40).noise(8, 0.05).seed(5).build());
        assertThat(f.noiseSigma()).isGreaterThan(0f);
        int n = 200, k = 8, es = data.exampleSize();
        int[] rows = new int[n], iterations = new int[n];
        for (int j = 0; j < n; j++) {
            rows[j] = (j * 37) % data.size();
            iterations[j] = j % 5;
        }
        // reference: one copy at a time, as the search generated them before it ran in parallel
        float[] expected = new float[k * n * es], scratch = new float[es];
        for (int q = 0; q < k; q++) {
            for (int j = 0; j < n; j++) {
                int off = (q * n + j) * es;
                System.arraycopy(data.x(), rows[j] * es, expected, off, es);
                InputNoise.add(expected, off, es, f.noiseSigma(), 5, data.ids()[rows[j]], iterations[j], q, scratch);
            }
        }
        int threadsBefore = CpuParallel.threads();
        try (var s = Tensors.scope()) {
            for (int threads : new int[] {1, 2, 3}) {
                CpuParallel.setThreads(threads);
                float[] actual = f.noisyInputs(rows, iterations, k, 0).toFloatArray();
                assertThat(actual.length).isEqualTo(expected.length);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(Float.floatToRawIntBits(actual[i])).as("%d threads, element %d", threads, i)
                            .isEqualTo(Float.floatToRawIntBits(expected[i]));
                }
            }
        } finally {
            CpuParallel.setThreads(threadsBefore);
        }
    }
}
