package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
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
 *   <li>AUROC(−count) 0.942 in both; search time (with the remaining-accuracy
 *   evaluation) 9 s → 134 s on 2 busy cores when first measured; 2.68 s → 11.18 s on 2026-12-04, after the
 *   exact passes learned to start at the first tap (about 4x).</li>
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
    /** Largest total size of what one {@link Prefixes} keeps. */
    static final long PREFIX_CACHE_BYTES = 256L << 20;
    /** The first tap, where the model can start a forward pass ({@link HasTaps#forwardFrom}); null where it cannot. */
    private final String firstTap;
    /** Floats per example of the activation at the first tap. */
    private final long firstTapFloats;
    private Prefixes referencePrefixes, evaluationPrefixes;

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
        if (taps.isEmpty()) {
            throw new IllegalArgumentException("activation-level flipping needs a model with named taps; "
                    + model.getClass().getSimpleName() + " names none (tapNames() is empty); use the WEIGHTS variant"
                    + " (engram flip --variant weights)");
        }
        String first = null;
        long firstFloats = 0;
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled(); Taps.Recorder rec = Taps.record();
             BatchContext c = BatchContext.of(data.ids(0, 1))) {
            Tensor[] atFirst = new Tensor[1];
            try (Taps t = Taps.intercept((name, x) -> {
                if (!taps.isEmpty() && name.equals(taps.get(0)) && atFirst[0] == null) atFirst[0] = x;
                return x;
            })) {
                model.forward(data.images(0, 1));
            }
            for (String t : taps) {
                int[] shape = rec.shapes().get(t);
                if (shape == null) throw new IllegalStateException("tap " + t + " was not hit by a forward pass of " + model.getClass().getSimpleName());
                tapChannels.put(t, shape[1]);
            }
            if (atFirst[0] != null && h.forwardFrom(taps.get(0), atFirst[0]) != null) {
                first = taps.get(0);
                firstFloats = atFirst[0].numel();
            }
        }
        firstTap = first;
        firstTapFloats = firstFloats;
    }

    /**
     * What comes before the masks, for a fixed list of input batches that every masked pass over them repeats (the
     * reference chunks with their noise; the evaluation subset): kept after the first pass when all the batches
     * together fit {@link #PREFIX_CACHE_BYTES} (and an eighth of the heap). Where the model can start at its first
     * tap ({@link HasTaps#forwardFrom}) and the activations there fit, those are kept and later passes start at the
     * tap, skipping the layers before it; otherwise the inputs are kept. The logits are the same bits either way.
     */
    private final class Prefixes {
        private final float[][] kept;
        private final int[][] shapes;
        private final boolean atTap, keep;

        /**
         * For {@code batches} batches of {@code examples} examples in all; {@code repeated}: whether they will be
         * passed again (else nothing is kept).
         */
        Prefixes(int batches, long examples, boolean repeated) {
            kept = new float[batches][];
            shapes = new int[batches][];
            long budget = Math.min(PREFIX_CACHE_BYTES, Runtime.getRuntime().maxMemory() / 8);
            atTap = repeated && firstTap != null && 4L * examples * firstTapFloats <= budget;
            keep = atTap || repeated && 4L * examples * data.exampleSize() <= budget;
        }

        /** The logits of batch {@code index}, whose inputs {@code inputs} makes, under the taps active now. */
        Tensor logits(int index, java.util.function.Supplier<Tensor> inputs) {
            if (!keep) return model.forward(inputs.get());
            if (kept[index] == null) {
                Tensor x = inputs.get();
                if (!atTap) {
                    kept[index] = x.toFloatArray();
                    shapes[index] = x.shape();
                    return model.forward(x);
                }
                // the innermost interceptor sees the activation before the masks do
                try (Taps t = Taps.intercept((name, a) -> {
                    if (name.equals(firstTap) && kept[index] == null) {
                        kept[index] = a.toFloatArray();
                        shapes[index] = a.shape();
                    }
                    return a;
                })) {
                    return model.forward(x);
                }
            }
            Tensor start = Tensor.of(kept[index], shapes[index]);
            return atTap ? ((HasTaps) model).forwardFrom(firstTap, start) : model.forward(start);
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
    List<Target> searchTargets(int[] rows) {
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

    /** Whether masked passes over fixed inputs start at the model's first tap ({@link Prefixes}), for tests. */
    boolean startsAtFirstTap() {
        return firstTap != null;
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
                            : Tensor.of(masks.get(e.getKey()), e.getValue());
                    leaves.put(e.getKey(), leaf.requiresGrad(true));
                }
                Tensor logits;
                try (Taps t = Taps.intercept((name, x) -> leaves.containsKey(name) ? Functional.mask(x, leaves.get(name)) : x);
                     BatchContext c = BatchContext.of(repeatIds(rows, k))) {
                    if (referencePrefixes == null) {
                        // passed again for every new set of zeroed units with the exact criterion, once with the shared one
                        referencePrefixes = new Prefixes((referenceRows.length + chunk - 1) / chunk, (long) k * referenceRows.length,
                                options.referenceGradient() == ReferenceGradient.EXACT);
                    }
                    logits = referencePrefixes.logits(from / chunk, () -> noisyInputs(rows, new int[rows.length], k, 0));
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

    /** One target's greedy state: its masks, the units zeroed so far, and its predictions. */
    private final class Search {
        final int row;
        final Map<String, float[]> masks = new LinkedHashMap<>();
        final List<Unit> units = new ArrayList<>();
        int count, initial, fin;
        boolean flipped, done;

        Search(int row) {
            this.row = row;
            for (var e : tapChannels.entrySet()) {
                float[] ones = new float[e.getValue()];
                Arrays.fill(ones, 1f);
                masks.put(e.getKey(), ones);
            }
        }
    }

    /**
     * Searches the targets with up to {@link Options#targetsPerBatch} of them in every forward/backward pass; when a
     * target finishes, the next one waiting takes its place, so the passes stay full until the last targets. Each
     * target's noise depends only on its own id and iteration and its masks only on its own zeroings, so the result
     * does not depend on which targets share a pass.
     */
    private List<Target> searchActivations(int[] targets) {
        int n = targets.length, finished = 0, next = 0;
        Target[] out = new Target[n];
        List<Search> active = new ArrayList<>();
        List<Integer> slots = new ArrayList<>(); // position in targets of each active search
        while (true) {
            while (active.size() < options.targetsPerBatch() && next < n) {
                active.add(new Search(targets[next]));
                slots.add(next++);
            }
            if (active.isEmpty()) break;
            iterate(active);
            boolean any = false;
            for (int j = active.size() - 1; j >= 0; j--) {
                Search t = active.get(j);
                if (!t.done) continue;
                // measured as each target finishes, so that the done-count covers the whole cost of a target
                double[] rem = remainingActivations(t.masks, t.row);
                out[slots.get(j)] = new Target(t.row, data.ids()[t.row], data.labels()[t.row], data.noisy()[t.row],
                        t.initial, t.flipped, t.count, List.copyOf(t.units), t.fin, rem[0], rem[1]);
                active.remove(j);
                slots.remove(j);
                finished++;
                any = true;
            }
            if (any) finished(finished, n);
        }
        return List.of(out);
    }

    /**
     * One greedy step of every target in {@code active}: one forward pass of all their noisy copies under their own
     * masks, the prediction check, and (for those still unflipped) one backward pass and the zeroing of their best
     * unit. Marks the targets that are done.
     */
    private void iterate(List<Search> active) {
        boolean exact = options.referenceGradient() == ReferenceGradient.EXACT;
        int na = active.size(), k = options.noisyCopies(), classes = data.numClasses();
        int[] rows = new int[na], iters = new int[na];
        for (int j = 0; j < na; j++) {
            rows[j] = active.get(j).row;
            iters[j] = active.get(j).count;
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
                for (int j = 0; j < na; j++) System.arraycopy(active.get(j).masks.get(e.getKey()), 0, v, j * c, c);
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
                Search t = active.get(j);
                int pred = Evaluation.argmax(rl, j * classes, classes);
                if (t.count == 0) t.initial = pred;
                t.fin = pred;
                if (pred != data.labels()[t.row]) {
                    t.done = true;
                    t.flipped = true;
                } else if (t.count >= options.maxUnits()) {
                    t.done = true;
                } else {
                    score[j] = true;
                    anyScoring = true;
                }
            }
            if (!anyScoring) return;
            // Σ_a CE_a: the gradient w.r.t. target a's mask row is ∂CE_a/∂m_a (rows of other targets do not use it)
            Functional.crossEntropyPerExample(robust, labels(rows)).sum().backward();
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (var e : leaves.entrySet()) grads.put(e.getKey(), e.getValue().grad().toFloatArray());
            Map<String, float[]> gShared = referenceGradient();
            for (int j = 0; j < na; j++) {
                if (!score[j]) continue;
                Search t = active.get(j);
                Map<String, float[]> gRef = exact ? referenceGradient(t.units, t.masks) : gShared;
                String bestTap = null;
                int bestUnit = -1;
                double best = 0;
                for (var e : tapChannels.entrySet()) {
                    String tap = e.getKey();
                    int c = e.getValue();
                    float[] m = t.masks.get(tap), gt = grads.get(tap), gr = gRef.get(tap);
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
                    t.done = true; // no positive score: nothing left that the criterion wants to remove
                } else {
                    t.masks.get(bestTap)[bestUnit] = 0f;
                    t.units.add(new Unit(bestTap, bestUnit));
                    t.count++;
                }
            }
        }
    }

    /** Accuracy on the evaluation subset (target excluded) with the target's masks, split clean / noisy. */
    private double[] remainingActivations(Map<String, float[]> masks, int target) {
        if (evalRows.length == 0) return new double[] {Double.NaN, Double.NaN};
        int b = options.evalBatchSize(), classes = data.numClasses();
        if (evaluationPrefixes == null) evaluationPrefixes = new Prefixes((evalRows.length + b - 1) / b, evalRows.length, true);
        int[] correct = new int[2], seen = new int[2]; // clean, noisy
        Map<String, Tensor> fixed = new LinkedHashMap<>();
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled()) {
            for (var e : masks.entrySet()) fixed.put(e.getKey(), Tensor.of(e.getValue(), e.getValue().length));
            try (Taps t = Taps.intercept((name, x) -> fixed.containsKey(name) ? Functional.mask(x, fixed.get(name)) : x)) {
                for (int from = 0; from < evalRows.length; from += b) {
                    int[] rows = Arrays.copyOfRange(evalRows, from, Math.min(evalRows.length, from + b));
                    ExampleSet batch = data.subset(rows);
                    float[] logits;
                    try (TensorScope inner = Tensors.scope(); BatchContext c = BatchContext.of(batch.ids())) {
                        logits = evaluationPrefixes.logits(from / b, () -> batch.images(0, rows.length)).toFloatArray();
                    }
                    for (int r = 0; r < rows.length; r++) {
                        if (rows[r] == target) continue;
                        int kind = data.noisy()[rows[r]] ? 1 : 0;
                        seen[kind]++;
                        if (Evaluation.argmax(logits, r * classes, classes) == data.labels()[rows[r]]) correct[kind]++;
                    }
                }
            }
        }
        return new double[] {seen[0] == 0 ? Double.NaN : (double) correct[0] / seen[0],
            seen[1] == 0 ? Double.NaN : (double) correct[1] / seen[1]};
    }

}
