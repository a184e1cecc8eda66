package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Greedy flipping on a tiny MLP that memorized 10% noisy labels of a generated task. */
class NeuronFlippingTest {
    private static ExampleSet data;
    private static Module model;

    @BeforeAll
    static void train() {
        data = SyntheticData.clusters(240, 4, 4, 0.8, 0.1, 3);
        model = new Mlp(11, 16, 48, 48, 4);
        SyntheticData.train(model, data, 150, 32, 0.05, 0.9, 0, 1);
        // the test needs a model that fits (memorizes) the training labels
        assertThat(Evaluation.run(model, data, 256).accuracy()).isGreaterThan(0.95);
    }

    private static int[] targets(NeuronFlipping f, int perKind) {
        List<Integer> t = new ArrayList<>();
        int noisy = 0, clean = 0;
        for (int i = 0; i < data.size(); i++) {
            if (!f.canTarget(i)) continue;
            if (data.noisy()[i] && noisy < perKind) { t.add(i); noisy++; }
            if (!data.noisy()[i] && clean < perKind) { t.add(i); clean++; }
        }
        return t.stream().mapToInt(Integer::intValue).toArray();
    }

    private static NeuronFlipping.Options.Builder options() {
        return NeuronFlipping.Options.DEFAULTS.toBuilder().referenceSize(40).remainingEvalSize(60).maxUnits(30).seed(5);
    }

    @Test
    void zeroingTheRecordedActivationUnitsFlipsAPlainForwardPass() {
        NeuronFlipping f = NeuronFlipping.create(model, data, options().noise(1, 0).build()); // no input noise: robust = plain
        int[] rows = targets(f, 8);
        List<NeuronFlipping.Target> res = f.search(rows);
        int flippedWithUnits = 0;
        for (NeuronFlipping.Target t : res) {
            if (!t.flipped()) continue;
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
            assertThat(pred).isEqualTo(t.finalPrediction());
            if (t.count() > 0) flippedWithUnits++;
        }
        assertThat(flippedWithUnits).isGreaterThan(rows.length / 2);
    }

    @Test
    void batchedAndOneAtATimeSearchesAgreeUnderTheSameNoise() {
        NeuronFlipping batched = NeuronFlipping.create(model, data, options().targetsPerBatch(16).remainingEvalSize(0).build());
        NeuronFlipping single = NeuronFlipping.create(model, data, options().targetsPerBatch(1).remainingEvalSize(0).build());
        int[] rows = targets(batched, 6);
        List<NeuronFlipping.Target> a = batched.search(rows), b = single.search(rows);
        for (int i = 0; i < rows.length; i++) {
            assertThat(a.get(i).count()).as("target row %d", rows[i]).isEqualTo(b.get(i).count());
            assertThat(a.get(i).units()).isEqualTo(b.get(i).units());
            assertThat(a.get(i).flipped()).isEqualTo(b.get(i).flipped());
        }
    }

    /**
     * More targets than fit in one pass: finished targets hand their place to waiting ones mid-search. Every target
     * must end as it does alone, under both reference-gradient modes, and the done-count must rise to the total.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(NeuronFlipping.ReferenceGradient.class)
    void targetsJoiningAPassAsOthersFinishEndAsTheyDoAlone(NeuronFlipping.ReferenceGradient reference) {
        NeuronFlipping.Options.Builder o = options().referenceGradient(reference).remainingEvalSize(0).noise(3, 0.05);
        NeuronFlipping streamed = NeuronFlipping.create(model, data, o.targetsPerBatch(3).build());
        NeuronFlipping single = NeuronFlipping.create(model, data, o.targetsPerBatch(1).build());
        int[] rows = targets(streamed, 7);
        List<Long> done = new ArrayList<>();
        streamed.onTargetsDone(done::add);
        List<NeuronFlipping.Target> a = streamed.search(rows), b = single.search(rows);
        java.util.Set<Integer> counts = new java.util.HashSet<>();
        for (int i = 0; i < rows.length; i++) {
            NeuronFlipping.Target x = a.get(i), y = b.get(i);
            assertThat(x.row()).isEqualTo(rows[i]);
            assertThat(x.units()).as("units of target row %d", rows[i]).isEqualTo(y.units());
            assertThat(x.flipped()).isEqualTo(y.flipped());
            assertThat(x.initialPrediction()).isEqualTo(y.initialPrediction());
            assertThat(x.finalPrediction()).isEqualTo(y.finalPrediction());
            counts.add(x.count());
        }
        // targets needing different numbers of steps are what makes places free up mid-search
        assertThat(counts).hasSizeGreaterThan(1);
        assertThat(done).isSorted();
        assertThat(done.get(done.size() - 1)).isEqualTo((long) rows.length);
        assertThat(done.size()).isGreaterThan(1);
    }

    /**
     * Passes that start at the first tap from kept activations ({@code HasTaps.forwardFrom}) must change nothing: the
     * same search on a copy of the model that cannot start there gives equal targets, and each target's remaining
     * accuracy equals a plain masked evaluation of the evaluation subset without it.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(NeuronFlipping.ReferenceGradient.class)
    void startingAtTheFirstTapChangesNoResult(NeuronFlipping.ReferenceGradient reference) {
        Module whole = new Mlp(11, 16, 48, 48, 4) {
            @Override
            public Tensor forwardFrom(String tap, Tensor activation) {
                return null;
            }
        };
        model.namedParameters().forEach((name, p) -> whole.namedParameters().get(name).copyFrom(p));
        NeuronFlipping.Options o = options().referenceGradient(reference).targetsPerBatch(4).noise(3, 0.05).evalBatchSize(16).build();
        NeuronFlipping fast = NeuronFlipping.create(model, data, o), slow = NeuronFlipping.create(whole, data, o);
        assertThat(((ActivationFlipping) fast).startsAtFirstTap()).isTrue();
        assertThat(((ActivationFlipping) slow).startsAtFirstTap()).isFalse();
        int[] rows = targets(fast, 5);
        List<NeuronFlipping.Target> a = fast.search(rows), b = slow.search(rows);
        assertThat(a).isEqualTo(b);
        int[] eval = fast.evaluationRows();
        for (NeuronFlipping.Target t : a) {
            Map<String, Tensor> masks = new LinkedHashMap<>();
            fast.tapChannels().forEach((tap, c) -> {
                float[] m = new float[c];
                Arrays.fill(m, 1f);
                for (NeuronFlipping.Unit u : t.units()) if (u.layer().equals(tap)) m[u.index()] = 0f;
                masks.put(tap, Tensor.of(m, c));
            });
            int[] others = Arrays.stream(eval).filter(r -> r != t.row()).toArray();
            boolean[] noisy = new boolean[others.length];
            for (int i = 0; i < others.length; i++) noisy[i] = data.noisy()[others[i]];
            Evaluation.PerExample r;
            try (var s = Tensors.scope(); Taps taps = Taps.intercept((name, x) -> masks.containsKey(name) ? Functional.mask(x, masks.get(name)) : x)) {
                r = Evaluation.run(model, data.subset(others), 7);
            }
            assertThat(t.remainingClean()).as("clean accuracy left by target row %d", t.row()).isEqualTo(r.accuracy(noisy, false));
            assertThat(t.remainingNoisy()).as("noisy accuracy left by target row %d", t.row()).isEqualTo(r.accuracy(noisy, true));
        }
    }

    @Test
    void weightVariantZeroesWeightsThatFlipThePredictionAndRestoresTheModel() {
        NeuronFlipping f = NeuronFlipping.create(model, data, options().variant(NeuronFlipping.Variant.WEIGHTS)
                .noise(1, 0).referenceSize(20).maxUnits(15).build());
        float[] before = model.namedParameters().get("1.weight").toFloatArray();
        int[] rows = targets(f, 2);
        List<NeuronFlipping.Target> res = f.search(rows);
        assertThat(model.namedParameters().get("1.weight").toFloatArray()).containsExactly(before);
        int checked = 0;
        for (NeuronFlipping.Target t : res) {
            if (!t.flipped() || t.count() == 0) continue;
            Map<String, float[]> saved = new LinkedHashMap<>();
            for (NeuronFlipping.Unit u : t.units()) {
                Tensor p = model.namedParameters().get(u.layer());
                float[] w = saved.containsKey(u.layer()) ? null : p.toFloatArray();
                if (w != null) saved.put(u.layer(), w.clone());
                float[] cur = p.toFloatArray();
                int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1;
                Arrays.fill(cur, u.index() * per, (u.index() + 1) * per, 0f);
                p.copyFrom(Tensor.of(cur, p.shape()));
            }
            int pred = Evaluation.run(model, data.subset(new int[] {t.row()}), 1).predicted()[0];
            saved.forEach((n, w) -> model.namedParameters().get(n).copyFrom(Tensor.of(w, model.namedParameters().get(n).shape())));
            assertThat(pred).isNotEqualTo(t.label());
            checked++;
        }
        assertThat(checked).isGreaterThan(0);
    }

    @Test
    void exactReferenceGradientMakesTheSameFirstZeroingAsTheSharedOneAndBothFlipAPlainForwardPass() {
        NeuronFlipping.Options.Builder o = options().noise(1, 0).remainingEvalSize(0);
        NeuronFlipping exact = NeuronFlipping.create(model, data, o.referenceGradient(NeuronFlipping.ReferenceGradient.EXACT).build());
        NeuronFlipping shared = NeuronFlipping.create(model, data, o.referenceGradient(NeuronFlipping.ReferenceGradient.SHARED).build());
        int[] rows = targets(exact, 8);
        List<NeuronFlipping.Target> e = exact.search(rows), s = shared.search(rows);
        int compared = 0;
        for (int i = 0; i < rows.length; i++) {
            if (e.get(i).units().isEmpty() || s.get(i).units().isEmpty()) continue;
            assertThat(e.get(i).units().get(0)).as("first zeroing of row %d", rows[i]).isEqualTo(s.get(i).units().get(0));
            compared++;
        }
        assertThat(compared).isPositive();
        // the exact mode recomputed the reference term under edited masks
        assertThat(((ActivationFlipping) exact).exactReferencePasses()).isPositive();
        assertThat(((ActivationFlipping) shared).exactReferencePasses()).isZero();
        for (List<NeuronFlipping.Target> res : List.of(e, s)) {
            for (NeuronFlipping.Target t : res) {
                if (!t.flipped() || t.count() == 0) continue;
                assertThat(plainPrediction(exact, t)).as("example %d after zeroing %s", t.exampleId(), t.units())
                        .isNotEqualTo(t.label());
            }
        }
    }

    private static int plainPrediction(NeuronFlipping f, NeuronFlipping.Target t) {
        Map<String, float[]> masks = new LinkedHashMap<>();
        f.tapChannels().forEach((tap, c) -> {
            float[] m = new float[c];
            Arrays.fill(m, 1f);
            masks.put(tap, m);
        });
        for (NeuronFlipping.Unit u : t.units()) masks.get(u.layer())[u.index()] = 0f;
        try (var s = Tensors.scope(); Taps taps = Taps.intercept((name, x) ->
                masks.containsKey(name) ? Functional.mask(x, Tensor.of(masks.get(name), masks.get(name).length)) : x)) {
            return Evaluation.run(model, data.subset(new int[] {t.row()}), 1).predicted()[0];
        }
    }

    @Test
    void referenceRowsAreRejectedAsTargets() {
        NeuronFlipping f = NeuronFlipping.create(model, data, options().build());
        int ref = f.referenceRows()[0];
        assertThatThrownBy(() -> f.search(new int[] {ref})).hasMessageContaining("reference batch");
    }
    @Test
    void aSmallRunGetsTheTargetsItAsksForAndTheReferenceBatchTheRest() {
        // 240 examples and the default reference of 511: the targets are drawn first, the reference from the rest
        NeuronFlipping.Options o = NeuronFlipping.Options.DEFAULTS.toBuilder().remainingEvalSize(30).maxUnits(3).seed(5).build();
        List<String> lines = new ArrayList<>();
        FlipAnalysis.Result r = FlipAnalysis.run(model, data, o, 4, 3, lines::add);
        assertThat(r.summary().noisyTargets()).isEqualTo(4);
        assertThat(r.summary().cleanTargets()).isEqualTo(3);
        assertThat(lines).anyMatch(l -> l.contains("reference batch has 233 of the requested 511"));
        int[] drawn = FlipAnalysis.drawTargets(data, 4, 3, o.seed());
        NeuronFlipping f = NeuronFlipping.create(model, data, o, drawn);
        for (int row : drawn) assertThat(f.canTarget(row)).isTrue();
        assertThat(f.referenceRows()).hasSize(data.size() - drawn.length);
        // asking for more noisy targets than the run has: all of them, and a warning
        int noisy = data.noisyCount();
        lines.clear();
        assertThat(FlipAnalysis.drawTargets(data, noisy + 5, 0, 1)).hasSize(noisy);
        FlipAnalysis.Result all = FlipAnalysis.run(model, data, o.toBuilder().maxUnits(1).build(), noisy + 5, 0, lines::add);
        assertThat(all.summary().noisyTargets()).isEqualTo(noisy);
        assertThat(lines).anyMatch(l -> l.startsWith("warning:") && l.contains("of the requested " + (noisy + 5)));
    }
    /**
     * The first unit each variant zeroes is the one the reference code's own formulation picks (docs/methods.md §5.2
     * steps 3–5), computed naively here: one batch of the target followed by the reference rows, per-example
     * cross-entropy with the target's entry multiplied by −|B|, the batch mean back-propagated once, then the argmax of
     * the positive scores θ·∂J/∂θ summed per conv filter / taken per scalar (weights) or ∂J/∂m at m = 1 (activation
     * masks shared by the whole batch). No input noise (K = 1, scale 0), so the robust logits are the plain ones.
     */
    @Test
    void firstZeroedUnitIsTheArgmaxOfTheReferenceCodesBatchObjective() {
        for (NeuronFlipping.Variant v : NeuronFlipping.Variant.values()) {
            NeuronFlipping f = NeuronFlipping.create(model, data, options().variant(v).referenceSize(40)
                    .remainingEvalSize(0).maxUnits(1).noise(1, 0).build());
            int compared = 0;
            for (int t = 0; t < data.size() && compared < 12; t++) {
                if (!f.canTarget(t)) continue;
                NeuronFlipping.Target r = f.search(new int[] {t}).get(0);
                if (r.units().isEmpty()) continue;
                assertThat(r.units().get(0)).as("%s: first unit zeroed for row %d", v, t)
                        .isEqualTo(referenceCodeChoice(t, f.referenceRows(), v, f.tapChannels()));
                compared++;
            }
            assertThat(compared).as("%s targets compared", v).isGreaterThanOrEqualTo(8);
        }
    }

    /** The reference code's greedy choice for target row {@code t} and batch {@code [t] + ref}, written out directly. */
    private static NeuronFlipping.Unit referenceCodeChoice(int t, int[] ref, NeuronFlipping.Variant v, Map<String, Integer> taps) {
        int[] rows = new int[ref.length + 1];
        rows[0] = t;
        System.arraycopy(ref, 0, rows, 1, ref.length);
        ExampleSet b = data.subset(rows);
        int n = rows.length;
        float[] w = new float[n];
        Arrays.fill(w, 1f / n); // mean over the batch ...
        w[0] = -1f;             // ... after loss[t] *= -n
        model.eval();
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Boolean> wasTrainable = new LinkedHashMap<>();
        params.forEach((name, p) -> wasTrainable.put(name, p.requiresGrad()));
        String best = null;
        int bestUnit = -1;
        double bestScore = 0;
        try (TensorScope s = Tensors.scope()) {
            Map<String, Tensor> masks = new LinkedHashMap<>();
            if (v == NeuronFlipping.Variant.WEIGHTS) {
                params.values().forEach(p -> p.requiresGrad(true));
                model.zeroGrad();
            } else {
                taps.forEach((tap, c) -> {
                    float[] ones = new float[c];
                    Arrays.fill(ones, 1f);
                    masks.put(tap, Tensor.of(ones, c).requiresGrad(true));
                });
            }
            Tensor logits;
            try (Taps tp = Taps.intercept((name, x) -> masks.containsKey(name) ? Functional.mask(x, masks.get(name)) : x);
                 BatchContext c = BatchContext.of(b.ids(0, n))) {
                logits = model.forward(b.images(0, n));
            }
            Functional.crossEntropyPerExample(logits, b.labelTensor(0, n)).mul(Tensor.of(w, n)).sum().backward();
            if (v == NeuronFlipping.Variant.WEIGHTS) {
                for (var e : params.entrySet()) {
                    Tensor p = e.getValue();
                    float[] theta = p.toFloatArray(), g = p.grad().toFloatArray();
                    int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1;
                    for (int u = 0; u < theta.length / per; u++) {
                        double score = 0;
                        for (int q = u * per; q < (u + 1) * per; q++) score += (double) theta[q] * g[q];
                        if (score > bestScore) {
                            bestScore = score;
                            best = e.getKey();
                            bestUnit = u;
                        }
                    }
                }
            } else {
                for (var e : masks.entrySet()) {
                    float[] g = e.getValue().grad().toFloatArray();
                    for (int u = 0; u < g.length; u++) {
                        if (g[u] > bestScore) {
                            bestScore = g[u];
                            best = e.getKey();
                            bestUnit = u;
                        }
                    }
                }
            }
        } finally {
            model.zeroGrad();
            params.forEach((name, p) -> p.requiresGrad(wasTrainable.get(name))); // as the shared model was
        }
        return new NeuronFlipping.Unit(best, bestUnit);
    }

    @Test
    void activationFlippingRefusesAModelWithoutTapsUpFront() {
        Mlp untapped = new Mlp(11, 16, 48, 48, 4) {
            @Override
            public List<String> tapNames() {
                return List.of();
            }
        };
        assertThatThrownBy(() -> NeuronFlipping.create(untapped, data, options().build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names none")
                .hasMessageContaining("--variant weights");
    }
}
