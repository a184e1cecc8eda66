package dev.engram.memorization.prune;

import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.layers.BatchNorm2d;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.init.Seeds;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Global magnitude pruning and the learning distance on hand-built examples. */
class MagnitudePruningTest {
    private static LinkedHashMap<String, float[]> weights() {
        LinkedHashMap<String, float[]> w = new LinkedHashMap<>();
        w.put("a", new float[] {0.5f, -0.1f, 0.3f, -0.3f});
        w.put("b", new float[] {0.3f, 2f, -0.05f, 0.1f, -1f, 0.3f});
        return w;
    }

    @Test
    void prunesExactlyTheSmallestMagnitudesGloballyWithTiesByPosition() {
        var w = weights();
        // |w| in global order: a: .5 .1 .3 .3 | b: .3 2 .05 .1 1 .3 — 10 weights
        var m30 = MagnitudePruning.prune(w, MagnitudePruning.dense(w), 0.3); // 3 pruned: .05 (b2), .1 (a1), .1 (b3)
        assertThat(m30.get("a")).containsExactly(1, 0, 1, 1);
        assertThat(m30.get("b")).containsExactly(1, 1, 0, 0, 1, 1);
        // 5 pruned: then two of the four .3 ties (a2, a3, b0, b5), the first two by position: a2, a3
        var m50 = MagnitudePruning.prune(w, m30, 0.5);
        assertThat(m50.get("a")).containsExactly(1, 0, 0, 0);
        assertThat(m50.get("b")).containsExactly(1, 1, 0, 0, 1, 1);
        // one more tie: b0 before b5
        var m60 = MagnitudePruning.prune(w, m50, 0.6);
        assertThat(m60.get("b")).containsExactly(0, 1, 0, 0, 1, 1);
        assertThat(MagnitudePruning.pruned(m60)).isEqualTo(6);
        assertThat(m30.get("a")).as("inputs are not changed").containsExactly(1, 0, 1, 1);
    }

    @Test
    void weightsPrunedEarlierStayPrunedWhateverTheirValueNow() {
        var w = weights();
        LinkedHashMap<String, float[]> m = MagnitudePruning.dense(w);
        m.get("b")[1] = 0; // the largest weight, pruned by an earlier level
        var next = MagnitudePruning.prune(w, m, 0.2); // one more: the smallest kept, b2 (.05)
        assertThat(next.get("b")).containsExactly(1, 0, 0, 1, 1, 1);
        assertThat(next.get("a")).containsExactly(1, 1, 1, 1);
    }

    @Test
    void sparsityBelowTheCurrentOneAndMismatchesAreRefused() {
        var w = weights();
        var m = MagnitudePruning.prune(w, MagnitudePruning.dense(w), 0.5);
        assertThatThrownBy(() -> MagnitudePruning.prune(w, m, 0.3)).hasMessageContaining("5 are pruned already");
        var shorter = new LinkedHashMap<>(m);
        shorter.put("a", new float[] {1, 1});
        assertThatThrownBy(() -> MagnitudePruning.prune(w, shorter, 0.6)).hasMessageContaining("weight 'a' has 4 values, its mask 2");
        var nan = weights();
        nan.get("b")[3] = Float.NaN;
        assertThatThrownBy(() -> MagnitudePruning.prune(nan, MagnitudePruning.dense(nan), 0.5)).hasMessageContaining("'b' holds NaN at element 3");
    }

    @Test
    void learningDistanceIsTheL2NormOfTheDifference() {
        Map<String, float[]> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        a.put("w", new float[] {1, 2, 3});
        a.put("bias", new float[] {-1});
        b.put("w", new float[] {1, 0, 0}); // differences 0, 2, 3
        b.put("bias", new float[] {1}); // difference -2
        assertThat(MagnitudePruning.distance(a, b)).isCloseTo(Math.sqrt(4 + 9 + 4), within(1e-12));
        assertThat(MagnitudePruning.distance(a, a)).isZero();
        b.remove("bias");
        assertThatThrownBy(() -> MagnitudePruning.distance(a, b)).hasMessageContaining("differ");
    }

    @Test
    void sparseLearningDistanceStartsFromTheMaskedInitialization() {
        Map<String, float[]> sparse = new LinkedHashMap<>(), init = new LinkedHashMap<>(), masks = new LinkedHashMap<>();
        sparse.put("w", new float[] {0, 2, 0, 5});    // entries 0 and 2 pruned
        sparse.put("bias", new float[] {-1});          // no mask: counts in full
        init.put("w", new float[] {7, 1, -3, 1});
        init.put("bias", new float[] {1});
        masks.put("w", new float[] {0, 1, 0, 1});
        // kept entries travel 1 and 4, the bias 2; the pruned initial values 7 and -3 count nothing
        assertThat(MagnitudePruning.distance(sparse, init, masks)).isCloseTo(Math.sqrt(1 + 16 + 4), within(1e-12));
        assertThat(MagnitudePruning.distance(sparse, init)).isCloseTo(Math.sqrt(49 + 1 + 9 + 16 + 4), within(1e-12));
        masks.put("w", new float[] {1, 1});
        assertThatThrownBy(() -> MagnitudePruning.distance(sparse, init, masks)).hasMessageContaining("mask of 'w'");
    }

    @Test
    void prunableWeightsAreLinearAndConvolutionWeightsOnly() {
        Seeds seeds = Seeds.of(1);
        Module m = new Sequential(new Conv2d(1, 2, 3, 1, 1, true, seeds), new BatchNorm2d(2), new Flatten(),
                new Linear(2 * 4 * 4, 3, true, seeds));
        assertThat(m.namedParameters().keySet()).contains("0.bias", "1.weight", "1.bias", "3.bias");
        assertThat(MagnitudePruning.prunableWeights(m)).isEqualTo(List.of("0.weight", "3.weight"));
    }

    @Test
    void roundsPruneAFractionOfTheRemainingWeights() {
        List<Double> s = SparseDoubleDescent.Options.rounds(0.2, 3);
        assertThat(s.get(0)).isCloseTo(0.2, within(1e-12));
        assertThat(s.get(1)).isCloseTo(0.36, within(1e-12));
        assertThat(s.get(2)).isCloseTo(0.488, within(1e-12));
        assertThat(SparseDoubleDescent.Options.parseRewind("epoch:3")).isEqualTo(3);
        assertThat(SparseDoubleDescent.Options.parseRewind("init")).isZero();
        assertThat(SparseDoubleDescent.Options.parseRewind("none")).isEqualTo(-1);
        assertThatThrownBy(() -> SparseDoubleDescent.Options.parseRewind("epoch:x")).hasMessageContaining("--rewind 'epoch:x'");
        assertThatThrownBy(() -> new SparseDoubleDescent.Options(List.of(0.5, 0.4), 1, 0, 10)).hasMessageContaining("increase");
        assertThatThrownBy(() -> new SparseDoubleDescent.Options(List.of(1.0), 1, 0, 10)).hasMessageContaining("(0, 1)");
    }
}
