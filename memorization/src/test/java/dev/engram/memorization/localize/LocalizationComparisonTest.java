package dev.engram.memorization.localize;

import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.nn.BatchContext;
import dev.engram.nn.layers.ExampleTiedDropout;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The comparison's measurements on the hand-built model of {@link LocalizationMethodsTest}, and the ETD truth sets. */
class LocalizationComparisonTest {
    static final LocalizationComparison.Settings SETTINGS =
            new LocalizationComparison.Settings(new int[] {1, 2}, 15, 0, 2, 64, 1);

    @Test
    void ablationTruthMetricsAndOverlapOfAKnownRanking() {
        MaskedModel m = LocalizationMethodsTest.masked();
        boolean[] truth = new boolean[6];
        truth[LocalizationMethodsTest.MEMORIZING] = true;
        truth[5] = true;
        double[] scores = {0.1, 0.2, 0.3, 5, 0, 4}; // both truth units first
        int[] sample = OtherExamples.draw(m.data().size(), 15, 1, new int[] {0});
        LocalizationComparison.TargetResult r = LocalizationComparison.measure(m, null, 0, scores, truth, sample,
                new int[0], SETTINGS);
        assertEquals(2, r.truthSize());
        assertEquals(1.0, r.precision(), 1e-12);
        assertEquals(1.0, r.recall(), 1e-12);
        assertEquals(1.0, r.auroc(), 1e-12);
        assertTrue(r.removed()[0], "zeroing the memorizing unit flips the target");
        assertEquals(1.0, r.trainAcc()[0], 1e-12, "the memorizing unit is silent on the other examples");
        assertArrayEquals(new int[] {3, 5}, r.top());
        assertTrue(Double.isNaN(r.testAcc()[0]));

        double[] wrong = {5, 4, 0.3, 0, 0.2, 0.1}; // truth units last
        LocalizationComparison.TargetResult w = LocalizationComparison.measure(m, null, 0, wrong, truth, sample,
                new int[0], SETTINGS);
        assertEquals(0.0, w.precision(), 1e-12);
        assertEquals(0.0, w.auroc(), 1e-12);
        assertFalse(w.removed()[0]);
        assertTrue(w.trainAcc()[1] < 1, "zeroing general units costs accuracy elsewhere");

        assertEquals(1.0, LocalizationComparison.specificity(List.of(r, r)), 1e-12);
        assertEquals(0.0, LocalizationComparison.specificity(List.of(r, w)), 1e-12);
        assertArrayEquals(new double[] {2, 1}, LocalizationComparison.meanStd(new double[] {1, Double.NaN, 3}), 1e-12);
    }

    @Test
    void tiedUnitsFillTopSetsInAnOrderDrawnPerTargetNotByUnitIndex() {
        MaskedModel m = LocalizationMethodsTest.masked();
        LocalizationComparison.Settings s = new LocalizationComparison.Settings(new int[] {1}, 15, 0, 4, 64, 7);
        double[] scores = {0, 0, 0, 0, 3, 0}; // one scored unit, the rest tied (as greedy flipping leaves them)
        int[] sample = OtherExamples.draw(m.data().size(), 15, 1, new int[] {0});
        java.util.Set<String> topSets = new java.util.HashSet<>();
        for (int row = 0; row < 6; row++) {
            int[] top = LocalizationComparison.measure(m, null, row, scores, null, sample, new int[0], s).top();
            assertEquals(4, top[0], "the scored unit leads");
            assertEquals(4, java.util.Arrays.stream(top).distinct().count());
            assertArrayEquals(top, LocalizationComparison.measure(m, null, row, scores, null, sample, new int[0], s).top(),
                    "the order depends only on the seed and the target");
            topSets.add(java.util.Arrays.toString(top));
        }
        assertTrue(topSets.size() > 1, "targets do not all get the same padding: " + topSets);
    }

    @Test
    void runMeasuresEveryMethodAndRejectsBadInput() {
        MaskedModel m = LocalizationMethodsTest.masked();
        List<LocalizationMethod> methods = List.of(new ZeroOut(64), new RandomRanking(1));
        boolean[][] truth = new boolean[1][6];
        truth[0][LocalizationMethodsTest.MEMORIZING] = true;
        LocalizationComparison.Comparison c = LocalizationComparison.run(m, m, methods, new int[] {0}, truth,
                new LocalizationComparison.Settings(new int[] {1}, 15, 5, 2, 64, 1), s -> { });
        assertEquals(2, c.methods().size());
        assertEquals(1.0, c.methods().get(0).removalRate(0), 1e-12);
        assertEquals(1.0, c.methods().get(0).meanStd(LocalizationComparison.TargetResult::precision)[0], 1e-12);
        assertTrue(c.methods().get(0).secondsPerTarget() >= 0);
        List<String> table = ComparisonFiles.table(c);
        assertTrue(table.get(1).startsWith("zero-out") && table.get(2).startsWith("random"), String.join("\n", table));
        assertThrows(IllegalArgumentException.class, () -> LocalizationComparison.run(m, null, methods, new int[0], null,
                SETTINGS, s -> { }));
        assertThrows(IllegalArgumentException.class, () -> new LocalizationComparison.Settings(new int[] {0}, 1, 0, 1, 1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalizationMethods.create(List.of("zero-out", "bogus"), LocalizationMethods.Settings.DEFAULTS));
        assertTrue(e.getMessage().contains("bogus"));
    }

    /**
     * Comparisons of one target each, merged, hold the same per-target measurements against the truth as one
     * comparison of all targets (a target's scores do not depend on the others), the specificity over all targets,
     * and the targets' mean accuracy with nothing zeroed.
     */
    @Test
    void mergingPerTargetComparisonsEqualsComparingAllTargets() {
        MaskedModel m = LocalizationMethodsTest.masked();
        List<LocalizationMethod> methods = List.of(new FirstOrder(4), new ZeroOut(64));
        int[] targets = {0, 1, 4};
        boolean[][] truth = new boolean[3][6];
        truth[0][LocalizationMethodsTest.MEMORIZING] = true;
        truth[1][0] = truth[1][4] = true;
        truth[2][1] = true;
        LocalizationComparison.Settings s = new LocalizationComparison.Settings(new int[] {1, 2}, 15, 0, 2, 64, 1);
        LocalizationComparison.Comparison all = LocalizationComparison.run(m, null, methods, targets, truth, s, x -> { });
        List<LocalizationComparison.Comparison> parts = new java.util.ArrayList<>();
        for (int t = 0; t < 3; t++) {
            parts.add(LocalizationComparison.run(m, null, methods, new int[] {targets[t]}, new boolean[][] {truth[t]}, s,
                    x -> { }));
        }
        LocalizationComparison.Comparison merged = LocalizationComparison.merge(parts);
        assertEquals(2, merged.methods().size());
        for (int i = 0; i < 2; i++) {
            LocalizationComparison.MethodResult a = all.methods().get(i), b = merged.methods().get(i);
            assertEquals(a.method(), b.method());
            assertEquals(3, b.targets().size());
            for (int t = 0; t < 3; t++) {
                LocalizationComparison.TargetResult x = a.targets().get(t), y = b.targets().get(t);
                assertEquals(x.row(), y.row());
                assertEquals(x.precision(), y.precision(), 1e-12);
                assertEquals(x.auroc(), y.auroc(), 1e-12);
                assertArrayEquals(x.removed(), y.removed());
                assertArrayEquals(x.top(), y.top());
            }
            assertEquals(a.specificity(), b.specificity(), 1e-12);
            assertEquals(a.meanStd(LocalizationComparison.TargetResult::auroc)[0],
                    b.meanStd(LocalizationComparison.TargetResult::auroc)[0], 1e-12);
        }
        assertEquals(parts.stream().mapToDouble(LocalizationComparison.Comparison::baseTrainAcc).average().orElseThrow(),
                merged.baseTrainAcc(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LocalizationComparison.merge(List.of()));
        LocalizationComparison.Comparison other = LocalizationComparison.run(m, null, List.of(new ZeroOut(64)),
                new int[] {0}, null, s, x -> { });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalizationComparison.merge(List.of(parts.get(0), other)));
        assertTrue(e.getMessage().contains("zero-out"), e.getMessage());
    }

    @Test
    void etdTruthIsTheTargetsActiveMemorizationUnits() {
        Mlp model = new Mlp(3, 4, 20, 10, 3);
        ExampleSet data = LocalizationMethodsTest.data();
        List<String> taps = model.tapNames();
        TapPlacement etd = TapPlacement.exampleTied(taps, 0.25, 0.5, 9);
        etd.train(false);
        etd.setEvalMode(ExampleTiedDropout.Mode.TRAIN);
        MaskedModel m = new MaskedModel(model, etd, data);
        int[] targets = {0, 4, 7};
        boolean[][] truth = GroundTruthBenchmark.truth(m, targets, 0.25, 0.5, 9);
        // independent: the layers' own masks, read off by passing ones through them with the targets' ids
        try (TensorScope s = Tensors.scope()) {
            int offset = 0;
            for (String tap : taps) {
                int c = m.tapChannels().get(tap);
                int[] ids = new int[targets.length];
                for (int t = 0; t < targets.length; t++) ids[t] = data.ids()[targets[t]];
                float[] mask;
                try (BatchContext b = BatchContext.of(ids)) {
                    mask = etd.layers().get(tap).forward(Tensor.ones(targets.length, c)).toFloatArray();
                }
                int gen = (int) (0.25 * c);
                for (int t = 0; t < targets.length; t++) {
                    for (int u = 0; u < c; u++) {
                        assertEquals(u >= gen && mask[t * c + u] != 0, truth[t][offset + u], tap + " unit " + u);
                    }
                }
                offset += c;
            }
        }
        int size = 0;
        for (boolean[] t : truth) for (boolean b : t) if (b) size++;
        assertTrue(size > 0 && size < 3 * 22, "some but not all memorization units are active: " + size);
    }
}
