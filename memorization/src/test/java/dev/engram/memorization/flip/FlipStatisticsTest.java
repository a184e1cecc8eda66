package dev.engram.memorization.flip;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The flip summary: headline statistics over memorized targets only; the base-model rule. */
class FlipStatisticsTest {

    private static NeuronFlipping.Target target(int row, boolean noisy, int label, int initial, boolean flipped, int count) {
        List<NeuronFlipping.Unit> units = new ArrayList<>();
        for (int i = 0; i < count; i++) units.add(new NeuronFlipping.Unit("t", i));
        return new NeuronFlipping.Target(row, row, label, noisy, initial, flipped, count, units, flipped ? (label + 1) % 3 : label,
                0.9, 0.5);
    }

    @Test
    void aModelThatMemorizedNothingHasNoMemorizedStatistics() {
        // every target already predicted as another class: "flipped with 0 units" but not memorized
        List<NeuronFlipping.Target> t = new ArrayList<>();
        for (int i = 0; i < 10; i++) t.add(target(i, i < 5, 0, 1, true, 0));
        double[] z = new double[10];
        FlipAnalysis.Result r = FlipAnalysis.summarize(NeuronFlipping.Options.DEFAULTS, 0f, t, new double[] {1, 0}, z, z, 1);
        FlipAnalysis.Summary s = r.summary();
        assertThat(s.noisyNotMemorized()).isEqualTo(5);
        assertThat(s.cleanNotMemorized()).isEqualTo(5);
        assertThat(s.memorized().noisyTargets()).isZero();
        assertThat(s.memorized().noisyFlippedUnder10()).isNaN();
        assertThat(s.memorized().aurocNegativeCount()).isNaN();
        // the comparison figures keep the old, misleading reading
        assertThat(s.allTargets().noisyFlippedUnder10()).isEqualTo(1.0);
        assertThat(FlipAnalysis.warnings(s)).anyMatch(w -> w.contains("only 0 of 5 noisy targets are memorized"));
        assertThat(r.summaryRows().get(1).label()).contains("memorized");
        assertThat(r.summaryRows().get(1).value()).doesNotContain("100.00%");
    }

    @Test
    void headlineStatisticsLeaveNonMemorizedTargetsOut() {
        List<NeuronFlipping.Target> t = new ArrayList<>();
        t.add(target(0, true, 0, 0, true, 3));   // memorized noisy, 3 units
        t.add(target(1, true, 0, 0, true, 20));  // memorized noisy, 20 units
        t.add(target(2, true, 0, 2, true, 0));   // not memorized noisy
        t.add(target(3, false, 1, 1, true, 30)); // memorized clean
        t.add(target(4, false, 1, 0, true, 0));  // not memorized clean
        double[] z = new double[5];
        FlipAnalysis.Summary s = FlipAnalysis.summarize(NeuronFlipping.Options.DEFAULTS, 0f, t, new double[] {1, 0}, z, z, 1).summary();
        assertThat(s.memorized().noisyTargets()).isEqualTo(2);
        assertThat(s.memorized().noisyFlippedUnder10()).isEqualTo(0.5);
        assertThat(s.memorized().meanCountNoisy()).isEqualTo(11.5);
        assertThat(s.memorized().meanCountClean()).isEqualTo(30);
        // -count ranks: noisy 3 and 20 above clean 30: AUROC 1 over memorized; with the zeros included, clean 0 ties at top
        assertThat(s.memorized().aurocNegativeCount()).isEqualTo(1.0);
        assertThat(s.allTargets().aurocNegativeCount()).isLessThan(1.0);
        assertThat(s.allTargets().noisyFlippedUnder10()).isEqualTo(2.0 / 3);
        assertThat(FlipAnalysis.warnings(s)).anyMatch(w -> w.contains("only 2 of 3"));
    }

    @Test
    void firstFitPicksTheFirstCheckpointThatFitsInEpochOrder() {
        Map<Integer, Double> acc = Map.of(0, 0.1, 5, 0.97, 10, 1.0, 15, 1.0, 20, 0.999);
        List<Integer> asked = new ArrayList<>();
        FlipAnalysis.Base b = FlipAnalysis.firstFit(List.of(20, 15, 0, 10, 5), 20, e -> {
            asked.add(e);
            return acc.get(e);
        });
        assertThat(b.epoch()).isEqualTo(10);
        assertThat(b.rule()).isEqualTo("first-fit");
        assertThat(b.trainAccuracy()).isEqualTo(1.0);
        assertThat(asked).containsExactly(0, 5, 10);

        FlipAnalysis.Base none = FlipAnalysis.firstFit(List.of(0, 10, 20), 20, e -> 0.98);
        assertThat(none.epoch()).isEqualTo(20);
        assertThat(none.rule()).contains("none fits");
    }

    @Test
    void finalIsTheDefaultBaseAndExactTheDefaultReferenceGradient() {
        assertThat(FlipAnalysis.Options.DEFAULTS.base()).isEqualTo(FlipAnalysis.BaseModel.FINAL);
        assertThat(NeuronFlipping.Options.DEFAULTS.referenceGradient()).isEqualTo(NeuronFlipping.ReferenceGradient.EXACT);
    }
}
