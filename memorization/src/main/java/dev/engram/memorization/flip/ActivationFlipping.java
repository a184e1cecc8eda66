package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.models.HasTaps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The activation-level variant of greedy neuron flipping ({@link NeuronFlipping.Variant#ACTIVATIONS}, the paper's
 * wording, docs/methods.md §5): units are the channels or neurons at the model's taps, zeroed with per-target mask rows so that
 * one forward/backward pass scores a whole batch of targets.
 *
 * <h2>Reference gradient: exact (default) or shared</h2>
 * The criterion's reference term {@code (1/|B|) Σ_{i∈R} CE_i} (docs/methods.md §5.2 step 3) depends on the target's masks. With
 * {@link ReferenceGradient#EXACT} its gradient is recomputed under each target's current masks before every zeroing
 * (one pass over the reference batch per distinct set of zeroed units, cached); with {@link ReferenceGradient#SHARED}
 * the unedited model's gradient is reused for every zeroing (identical first zeroing). Measured on the demo run
 * ({@code engram train --preset demo}: MLP, 4,000 MNIST examples, 10% noise, 40 epochs; {@code engram flip --noisy 50
 * --clean 50}, final checkpoint; 46 noisy and 50 clean targets memorized), shared → exact:
 * <ul>
 *   <li>noisy targets: identical counts for all 46 (45 of 46 identical unit lists), mean 2.46, median 2, 100% under
 *       10 units; clean-accuracy left after noisy flips 0.9996 in both;</li>
 *   <li>clean targets: 33 of 50 counts and 18 of 50 unit lists identical; mean count 13.44 → 13.20, share under 10
 *       units 64% → 70%, not flipped within 50 units 6% → 8%; clean accuracy left after clean-target flips
 *       0.9588 → 0.9888 (the shared gradient zeroes units that hurt the other examples);</li>
 *   <li>layer histogram (units of clean targets): {@code 2.out} 547 → 607, {@code 4.out} 122 → 49 (noisy targets:
 *       110 / 3 in both);</li>
 *   <li>AUROC(−count) 0.942 in both; search time 9 s → 134 s on 2 busy cores (about 14x).</li>
 * </ul>
 * The difference on clean targets (remaining accuracy, layers) is not negligible, so the paper's criterion (exact) is
 * the default; shared is the fast option.
 */
final class ActivationFlipping extends NeuronFlipping {
    private final List<String> taps;
    private final Map<String, Integer> tapChannels = new LinkedHashMap<>();
    private Map<String, float[]> referenceGradient;
    /** Exact reference gradients by sorted zeroed-unit set; bounded (least recently used dropped). */
    private final Map<List<Unit>, Map<String, float[]>> exactCache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Unit>, Map<String, float[]>> eldest) {
            return size() > 512;
        }
    };
    private int exactPasses;

    ActivationFlipping(Module model, ExampleSet data, Options options) {
        this(model, data, options, new int[0]);
    }

    ActivationFlipping(Module model, ExampleSet data, Options options, int[] notReference) {
        super(model, data, options, notReference);
        if (!(model instanceof HasTaps h)) {
            throw new IllegalArgumentException("activation-level flipping needs a model with named taps (HasTaps); "
                    + model.getClass().getSimpleName() + " has none; use the WEIGHTS variant");
        }
        taps = List.copyOf(h.tapNames());
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled(); Taps.Recorder rec = Taps.record();
             BatchContext c = BatchContext.of(data.ids(0, 1))) {
            model.forward(data.images(0, 1));
            for (String t : taps) {
                int[] shape = rec.shapes().get(t);
                if (shape == null) throw new IllegalStateException("tap " + t + " was not hit by a forward pass of " + model.getClass().getSimpleName());
                tapChannels.put(t, shape[1]);
            }
        }
    }

    @Override
    public Map<String, Integer> tapChannels() {
        return new LinkedHashMap<>(tapChannels);
    }

    @Override
    int targetsPerChunk() {
        return options.targetsPerBatch();
    }

    @Override
    List<Target> searchChunk(int[] rows) {
        return searchActivations(rows);
    }

    /** ∂/∂m of (1/|B|) Σ_{i∈R} CE(f̄_i) at the unedited model, per tap; computed once. */
    private Map<String, float[]> referenceGradient() {
        if (referenceGradient == null) referenceGradient = referenceGradient(null);
        return referenceGradient;
    }

    /**
     * ∂/∂m of (1/|B|) Σ_{i∈R} CE(f̄_i) under a target's current masks ({@link ReferenceGradient#EXACT}); the unedited
     * model's gradient when nothing is zeroed yet, cached by the set of zeroed units otherwise.
     */
    private Map<String, float[]> referenceGradient(List<Unit> zeroed, Map<String, float[]> masks) {
        if (zeroed.isEmpty()) return referenceGradient();
        List<Unit> key = new ArrayList<>(zeroed);
        key.sort(Comparator.comparing(Unit::layer).thenComparingInt(Unit::index));
        Map<String, float[]> g = exactCache.get(key);
        if (g == null) {
            g = referenceGradient(masks);
            exactCache.put(key, g);
            exactPasses++;
        }
        return g;
    }

    /** Reference passes made for {@link ReferenceGradient#EXACT} (distinct mask sets), for measurements. */
    int exactReferencePasses() {
        return exactPasses;
    }

    /** ∂/∂m of (1/|B|) Σ_{i∈R} CE(f̄_i) with the masks {@code masks} (null = all ones), per tap. */
    private Map<String, float[]> referenceGradient(Map<String, float[]> masks) {
        Map<String, float[]> sum = new LinkedHashMap<>();
        for (var e : tapChannels.entrySet()) sum.put(e.getKey(), new float[e.getValue()]);
        int k = options.noisyCopies();
        float weight = 1f / (referenceRows.length + 1);
        int chunk = Math.max(1, options.evalBatchSize() / k);
        for (int from = 0; from < referenceRows.length; from += chunk) {
            int[] rows = Arrays.copyOfRange(referenceRows, from, Math.min(referenceRows.length, from + chunk));
            try (TensorScope s = Tensors.scope()) {
                Map<String, Tensor> leaves = new LinkedHashMap<>();
                for (var e : tapChannels.entrySet()) {
                    Tensor leaf = masks == null ? Tensor.ones(e.getValue())
                            : Tensor.of(masks.get(e.getKey()).clone(), e.getValue());
                    leaves.put(e.getKey(), leaf.requiresGrad(true));
                }
                Tensor logits;
                try (Taps t = Taps.intercept((name, x) -> leaves.containsKey(name) ? Functional.mask(x, leaves.get(name)) : x);
                     BatchContext c = BatchContext.of(repeatIds(rows, k))) {
                    logits = model.forward(noisyInputs(rows, new int[rows.length], k, 0));
                }
                Tensor robust = robust(logits, k, rows.length);
                Functional.crossEntropyPerExample(robust, labels(rows)).sum().mul(weight).backward();
                for (var e : leaves.entrySet()) {
                    float[] g = e.getValue().grad().toFloatArray();
                    float[] acc = sum.get(e.getKey());
                    for (int c = 0; c < g.length; c++) acc[c] += g[c];
                }
            }
        }
        return sum;
    }

    private List<Target> searchActivations(int[] targets) {
        Map<String, float[]> gShared = referenceGradient();
        boolean exact = options.referenceGradient() == ReferenceGradient.EXACT;
        int n = targets.length, k = options.noisyCopies(), classes = data.numClasses();
        List<Map<String, float[]>> masks = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            Map<String, float[]> m = new LinkedHashMap<>();
            for (var e : tapChannels.entrySet()) {
                float[] ones = new float[e.getValue()];
                Arrays.fill(ones, 1f);
                m.put(e.getKey(), ones);
            }
            masks.add(m);
        }
        int[] count = new int[n], initial = new int[n], fin = new int[n];
        boolean[] done = new boolean[n], flipped = new boolean[n];
        List<List<Unit>> units = new ArrayList<>();
        for (int a = 0; a < n; a++) units.add(new ArrayList<>());
        while (true) {
            int[] active = indicesWhere(done, false);
            if (active.length == 0) break;
            int na = active.length;
            int[] rows = new int[na], iters = new int[na];
            for (int j = 0; j < na; j++) {
                rows[j] = targets[active[j]];
                iters[j] = count[active[j]];
            }
            try (TensorScope s = Tensors.scope()) {
                Map<String, Tensor> leaves = new LinkedHashMap<>();
                Map<String, Tensor> rowMasks = new LinkedHashMap<>();
                int[] owner = new int[k * na];
                for (int r = 0; r < owner.length; r++) owner[r] = r % na;
                Tensor ownerIdx = Tensor.ofInts(owner, owner.length);
                for (var e : tapChannels.entrySet()) {
                    int c = e.getValue();
                    float[] v = new float[na * c];
                    for (int j = 0; j < na; j++) System.arraycopy(masks.get(active[j]).get(e.getKey()), 0, v, j * c, c);
                    Tensor leaf = Tensor.of(v, na, c).requiresGrad(true);
                    leaves.put(e.getKey(), leaf);
                    rowMasks.put(e.getKey(), leaf.indexSelect(ownerIdx));
                }
                Tensor logits;
                try (Taps t = Taps.intercept((name, x) -> rowMasks.containsKey(name) ? Functional.mask(x, rowMasks.get(name)) : x);
                     BatchContext c = BatchContext.of(repeatIds(rows, k))) {
                    logits = model.forward(noisyInputs(rows, iters, k, 0));
                }
                Tensor robust = robust(logits, k, na);
                float[] rl = robust.toFloatArray();
                boolean anyScoring = false;
                boolean[] score = new boolean[na];
                for (int j = 0; j < na; j++) {
                    int a = active[j];
                    int pred = Evaluation.argmax(rl, j * classes, classes);
                    if (count[a] == 0) initial[a] = pred;
                    fin[a] = pred;
                    if (pred != data.labels()[targets[a]]) {
                        done[a] = true;
                        flipped[a] = true;
                    } else if (count[a] >= options.maxUnits()) {
                        done[a] = true;
                    } else {
                        score[j] = true;
                        anyScoring = true;
                    }
                }
                if (!anyScoring) continue;
                // Σ_a CE_a: the gradient w.r.t. target a's mask row is ∂CE_a/∂m_a (rows of other targets do not use it)
                Functional.crossEntropyPerExample(robust, labels(rows)).sum().backward();
                Map<String, float[]> grads = new LinkedHashMap<>();
                for (var e : leaves.entrySet()) grads.put(e.getKey(), e.getValue().grad().toFloatArray());
                for (int j = 0; j < na; j++) {
                    if (!score[j]) continue;
                    int a = active[j];
                    Map<String, float[]> gRef = exact ? referenceGradient(units.get(a), masks.get(a)) : gShared;
                    String bestTap = null;
                    int bestUnit = -1;
                    double best = 0;
                    for (var e : tapChannels.entrySet()) {
                        String tap = e.getKey();
                        int c = e.getValue();
                        float[] m = masks.get(a).get(tap), gt = grads.get(tap), gr = gRef.get(tap);
                        for (int u = 0; u < c; u++) {
                            double su = m[u] * ((double) gr[u] - gt[j * c + u]); // m_u ∂J/∂m_u, J = ref − CE_t
                            if (su > best) {
                                best = su;
                                bestTap = tap;
                                bestUnit = u;
                            }
                        }
                    }
                    if (bestTap == null) {
                        done[a] = true; // no positive score: nothing left that the criterion wants to remove
                    } else {
                        masks.get(a).get(bestTap)[bestUnit] = 0f;
                        units.get(a).add(new Unit(bestTap, bestUnit));
                        count[a]++;
                    }
                }
            }
        }
        List<Target> out = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            double[] rem = remainingActivations(masks.get(a), targets[a]);
            int row = targets[a];
            out.add(new Target(row, data.ids()[row], data.labels()[row], data.noisy()[row], initial[a], flipped[a], count[a],
                    List.copyOf(units.get(a)), fin[a], rem[0], rem[1]));
        }
        return out;
    }

    /** Accuracy on the evaluation subset (target excluded) with the target's masks, split clean / noisy. */
    private double[] remainingActivations(Map<String, float[]> masks, int target) {
        if (evalRows.length == 0) return new double[] {Double.NaN, Double.NaN};
        Map<String, Tensor> fixed = new LinkedHashMap<>();
        try (TensorScope s = Tensors.scope()) {
            for (var e : masks.entrySet()) fixed.put(e.getKey(), Tensor.of(e.getValue(), e.getValue().length));
            try (Taps t = Taps.intercept((name, x) -> fixed.containsKey(name) ? Functional.mask(x, fixed.get(name)) : x)) {
                return remainingAccuracy(target);
            }
        }
    }

}
