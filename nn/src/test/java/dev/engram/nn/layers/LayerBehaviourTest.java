package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.init.Init;
import dev.engram.nn.init.Seeds;
import org.junit.jupiter.api.Test;

import static dev.engram.nn.layers.TestValues.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Forward semantics of the layers against values computed by hand. */
class LayerBehaviourTest {

    @Test
    void batchNormTrainingUsesBatchStatisticsAndUpdatesRunningStatsWithUnbiasedVariance() {
        BatchNorm2d bn = new BatchNorm2d(2);
        // channel 0 values 1..8, channel 1 constant 3 except one 5 (N=2, H=W=2)
        float[] v = {1, 2, 3, 4, 3, 3, 3, 5, 5, 6, 7, 8, 3, 3, 3, 3};
        Tensor x = Tensor.of(v, 2, 2, 2, 2);
        float[] y = bn.forward(x).toFloatArray();
        double[] mean = new double[2], var = new double[2];
        for (int c = 0; c < 2; c++) {
            double s = 0, ss = 0;
            for (int n = 0; n < 2; n++) for (int q = 0; q < 4; q++) s += v[(n * 2 + c) * 4 + q];
            mean[c] = s / 8;
            for (int n = 0; n < 2; n++) for (int q = 0; q < 4; q++) ss += Math.pow(v[(n * 2 + c) * 4 + q] - mean[c], 2);
            var[c] = ss / 8;
            for (int n = 0; n < 2; n++) {
                for (int q = 0; q < 4; q++) {
                    int i = (n * 2 + c) * 4 + q;
                    assertThat((double) y[i]).isCloseTo((v[i] - mean[c]) / Math.sqrt(var[c] + 1e-5), within(1e-4));
                }
            }
        }
        float[] rm = bn.runningMean().toFloatArray(), rv = bn.runningVar().toFloatArray();
        for (int c = 0; c < 2; c++) {
            assertThat((double) rm[c]).isCloseTo(0.1 * mean[c], within(1e-5));
            assertThat((double) rv[c]).isCloseTo(0.9 + 0.1 * var[c] * 8 / 7, within(1e-5));
        }
        assertThat(bn.numBatchesTracked().item()).isEqualTo(1f);
        bn.forward(x);
        assertThat(bn.numBatchesTracked().item()).isEqualTo(2f);
        assertThat((double) bn.runningMean().toFloatArray()[0]).isCloseTo(0.19 * mean[0], within(1e-5));
    }

    @Test
    void batchNormEvaluationUsesRunningStatisticsAndLeavesThemAlone() {
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.runningMean().copyFrom(Tensor.of(new float[] {1f, -2f}, 2));
        bn.runningVar().copyFrom(Tensor.of(new float[] {4f, 0.25f}, 2));
        bn.weight().copyFrom(Tensor.of(new float[] {2f, 1f}, 2));
        bn.bias().copyFrom(Tensor.of(new float[] {0.5f, 0f}, 2));
        bn.eval();
        Tensor x = uniform(3, 3, 2, 2, 2);
        float[] xv = x.toFloatArray(), y = bn.forward(x).toFloatArray();
        float[] m = {1f, -2f}, var = {4f, 0.25f}, g = {2f, 1f}, b = {0.5f, 0f};
        for (int i = 0; i < xv.length; i++) {
            int c = (i / 4) % 2;
            assertThat((double) y[i]).isCloseTo((xv[i] - m[c]) / Math.sqrt(var[c] + 1e-5) * g[c] + b[c], within(1e-4));
        }
        assertThat(bn.runningMean().toFloatArray()).containsExactly(1f, -2f);
        assertThat(bn.numBatchesTracked().item()).isEqualTo(0f);
    }

    @Test
    void batchNormLoadsPyTorchStyleIntegerBatchCounter() {
        BatchNorm2d bn = new BatchNorm2d(2);
        java.util.Map<String, Tensor> state = new java.util.LinkedHashMap<>(bn.stateDict());
        state.put("running_mean", Tensor.of(new float[] {0.5f, -0.5f}, 2));
        state.put("num_batches_tracked", Tensor.ofInts(new int[] {1234}));
        bn.loadStateDict(state, true);
        assertThat(bn.numBatchesTracked().item()).isEqualTo(1234f);
        assertThat(bn.runningMean().toFloatArray()).containsExactly(0.5f, -0.5f);
        bn.forward(uniform(4, 2, 2, 2, 2));
        assertThat(bn.numBatchesTracked().item()).isEqualTo(1235f);
    }

    @Test
    void batchNormRejectsWrongChannelCount() {
        assertThatThrownBy(() -> new BatchNorm2d(4).forward(Tensor.zeros(2, 3, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[N, 4, H, W]").hasMessageContaining("[2, 3, 2, 2]");
    }

    @Test
    void initializationFollowsPyTorchBoundsAndIsDeterministic() {
        Linear a = new Linear(100, 50, true, 7), b = new Linear(100, 50, true, 7), c = new Linear(100, 50, true, 8);
        assertThat(a.weight().toFloatArray()).containsExactly(b.weight().toFloatArray());
        assertThat(a.weight().toFloatArray()).isNotEqualTo(c.weight().toFloatArray());
        assertThat(a.weight().toFloatArray()).isNotEqualTo(a.bias().toFloatArray());
        float bound = 0.1f;
        float max = 0;
        for (float w : a.weight().toFloatArray()) max = Math.max(max, Math.abs(w));
        assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.09f);
        Conv2d conv = new Conv2d(4, 8, 3, 1, 1, true, Seeds.of(1));
        for (float w : conv.weight().toFloatArray()) assertThat(Math.abs(w)).isLessThanOrEqualTo((float) (1 / Math.sqrt(36)));
        for (float w : conv.bias().toFloatArray()) assertThat(Math.abs(w)).isLessThanOrEqualTo((float) (1 / Math.sqrt(36)));
        assertThat(Init.fanIn(8, 4, 3, 3)).isEqualTo(36);
        assertThat(Init.fanOut(8, 4, 3, 3)).isEqualTo(72);
        LayerNorm ln = new LayerNorm(3);
        assertThat(ln.weight().toFloatArray()).containsExactly(1f, 1f, 1f);
        assertThat(ln.bias().toFloatArray()).containsExactly(0f, 0f, 0f);
        float[] pos = new ClassTokenEmbedding(255, 16, Seeds.of(3)).posEmbedding().toFloatArray();
        double s = 0, ss = 0;
        for (float p : pos) {
            s += p;
            ss += p * p;
        }
        assertThat(s / pos.length).isCloseTo(0, within(0.05));
        assertThat(ss / pos.length).isCloseTo(1, within(0.1));
    }

    @Test
    void dropoutIsInvertedSeededAndIdentityInEvaluation() {
        Tensor x = Tensor.ones(4, 1000);
        Dropout d = new Dropout(0.25f, 42);
        float[] y1 = d.forward(x).toFloatArray();
        float[] y2 = d.forward(x).toFloatArray();
        int zeros = 0;
        for (float v : y1) {
            assertThat(v).isIn(0f, 1f / 0.75f);
            if (v == 0f) zeros++;
        }
        assertThat(zeros / 4000.0).isCloseTo(0.25, within(0.03));
        assertThat(y1).isNotEqualTo(y2); // the counter advanced
        assertThat(new Dropout(0.25f, 42).forward(x).toFloatArray()).containsExactly(y1); // reproducible from the seed
        d.eval();
        assertThat(d.forward(x).toFloatArray()).containsOnly(1f);
        assertThatThrownBy(() -> new Dropout(1f, 1)).hasMessageContaining("[0, 1)");
    }

    @Test
    void shiftedCopiesMoveOnePixelWithZerosShiftedIn() {
        // 1 channel 3x3 image 1..9
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        float[] y = ShiftedPatchTokenization.withShifts(x).toFloatArray();
        assertThat(y).containsExactly(
                1, 2, 3, 4, 5, 6, 7, 8, 9,   // original
                0, 1, 2, 0, 4, 5, 0, 7, 8,   // right
                2, 3, 0, 5, 6, 0, 8, 9, 0,   // left
                0, 0, 0, 1, 2, 3, 4, 5, 6,   // down
                4, 5, 6, 7, 8, 9, 0, 0, 0);  // up
    }

    @Test
    void patchifyOrdersPatchesRowMajorAndVectorsAsRowColumnChannel() {
        // 2 channels 2x4 image: channel 0 values 0..7, channel 1 values 100..107
        float[] v = new float[16];
        for (int k = 0; k < 8; k++) {
            v[k] = k;
            v[8 + k] = 100 + k;
        }
        Tensor p = new Patchify(2).forward(Tensor.of(v, 1, 2, 2, 4));
        assertThat(p.shape()).containsExactly(1, 2, 8);
        // patch 0 covers (0,0),(0,1),(1,0),(1,1): values 0,1,4,5 with channel innermost
        assertThat(p.toFloatArray()).containsExactly(0, 100, 1, 101, 4, 104, 5, 105, 2, 102, 3, 103, 6, 106, 7, 107);
        assertThatThrownBy(() -> new Patchify(3).forward(Tensor.zeros(1, 1, 4, 4))).hasMessageContaining("multiples of 3");
    }

    @Test
    void classTokenComesFirstAndPositionsAreAdded() {
        ClassTokenEmbedding e = new ClassTokenEmbedding(2, 3, Seeds.of(5));
        Tensor x = Tensor.zeros(2, 2, 3);
        float[] y = e.forward(x).toFloatArray();
        float[] cls = e.clsToken().toFloatArray(), pos = e.posEmbedding().toFloatArray();
        for (int b = 0; b < 2; b++) {
            for (int d = 0; d < 3; d++) {
                assertThat(y[b * 9 + d]).isCloseTo(cls[d] + pos[d], within(1e-6f));
                assertThat(y[b * 9 + 3 + d]).isCloseTo(pos[3 + d], within(1e-6f));
            }
        }
    }

    @Test
    void adaptiveMaxPoolOneIsTheGlobalMaximum() {
        Tensor x = Tensor.of(new float[] {1, 9, 3, 4, -1, -5, -3, -2}, 1, 2, 2, 2);
        Tensor y = new AdaptiveMaxPool2d(1).forward(x);
        assertThat(y.shape()).containsExactly(1, 2, 1, 1);
        assertThat(y.toFloatArray()).containsExactly(9f, -1f);
    }
}
