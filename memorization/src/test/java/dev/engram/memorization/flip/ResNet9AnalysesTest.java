package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.Tensors;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Taps;
import dev.engram.nn.layers.ExampleTiedDropout;
import dev.engram.nn.models.ResNet9;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Neuron flipping and example-tied dropout on the paper's main model (ResNet-9 at a quarter of its
 * widths, 16x16 inputs so the test stays fast): the tap-based analyses work through its
 * convolutional taps, not only on MLPs.
 */
class ResNet9AnalysesTest {
    @Test
    void flippingOnResNet9ZeroesChannelsThatFlipAPlainForwardPass() {
        ExampleSet data = SyntheticData.clusters(96, 16, 4, 0.8, 0.1, 7);
        ResNet9 model = new ResNet9(1, 4, 0.25, 3);
        SyntheticData.train(model, data, 4, 32, 0.05, 0.9, 0, 1);
        model.eval();
        NeuronFlipping f = NeuronFlipping.create(model, data, NeuronFlipping.Options.DEFAULTS.toBuilder().referenceSize(32)
                .remainingEvalSize(32).maxUnits(40).noise(1, 0).seed(5).build());
        assertThat(f.tapChannels()).containsKeys(ResNet9.ETD_TAPS.toArray(new String[0]));
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < data.size() && rows.size() < 6; i++) if (f.canTarget(i)) rows.add(i);
        List<NeuronFlipping.Target> res = f.search(rows.stream().mapToInt(Integer::intValue).toArray());
        int flipped = 0;
        for (NeuronFlipping.Target t : res) {
            if (!t.flipped() || t.count() == 0) continue;
            Map<String, float[]> masks = new LinkedHashMap<>();
            f.tapChannels().forEach((tap, c) -> {
                float[] m = new float[c];
                Arrays.fill(m, 1f);
                masks.put(tap, m);
            });
            for (NeuronFlipping.Unit u : t.units()) masks.get(u.layer())[u.index()] = 0f;
            int pred;
            try (var s = Tensors.scope(); Taps taps = Taps.intercept((name, x) ->
                    masks.containsKey(name) ? Functional.mask(x, Tensor.of(masks.get(name), masks.get(name).length)) : x)) {
                pred = Evaluation.run(model, data.subset(new int[] {t.row()}), 1).predicted()[0];
            }
            assertThat(pred).as("example %d after zeroing %s", t.exampleId(), t.units()).isNotEqualTo(t.label());
            flipped++;
        }
        assertThat(flipped).as("targets flipped by zeroing channels").isPositive();
    }

    @Test
    void exampleTiedDropoutAtTheSixResNet9PositionsZeroesMemorizationChannelsInDropMode() {
        ExampleSet data = SyntheticData.clusters(16, 16, 4, 0.8, 0.1, 9);
        ResNet9 model = new ResNet9(1, 4, 0.25, 4);
        TapPlacement etd = TapPlacement.exampleTied(ResNet9.ETD_TAPS, 0.2, 0.1, 11);
        model.eval();
        etd.train(false);
        etd.setEvalMode(ExampleTiedDropout.Mode.DROP);
        Map<String, float[]> seen = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        int[] rows = new int[8];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        ExampleSet batch = data.subset(rows);
        // opened first, so it sees each activation after the dropout layer (innermost taps run first)
        try (var s = Tensors.scope();
             Taps capture = Taps.intercept((name, x) -> {
                 if (ResNet9.ETD_TAPS.contains(name)) {
                     seen.put(name, x.toFloatArray());
                     shapes.put(name, x.shape());
                 }
                 return x;
             });
             Taps dropout = etd.open();
             BatchContext ids = BatchContext.of(batch.ids())) {
            model.forward(Tensor.of(batch.x(), rows.length, 1, 16, 16));
        }
        assertThat(seen.keySet()).containsExactlyElementsOf(ResNet9.ETD_TAPS);
        for (String tap : ResNet9.ETD_TAPS) {
            int[] s = shapes.get(tap);
            int c = s[1], hw = s[2] * s[3], g = (int) Math.floor(0.2 * c);
            float[] v = seen.get(tap);
            double generalization = 0;
            for (int b = 0; b < s[0]; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int q = 0; q < hw; q++) {
                        float a = v[(b * c + ch) * hw + q];
                        if (ch >= g) assertThat(a).as("%s example %d memorization channel %d", tap, b, ch).isZero();
                        else generalization += Math.abs(a);
                    }
                }
            }
            assertThat(generalization).as("%s generalization channels carry signal", tap).isPositive();
        }
    }
}
