package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.scores.Evaluation;
import dev.engram.memorization.scores.ExampleSet;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.models.HasTaps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Greedy neuron flipping (Maini et al. 2023, spec §5): for a target training example, repeatedly zero the unit
 * whose removal most increases the target's loss while keeping the loss of other training examples low, until the
 * model's prediction on the target flips. Memorized (mislabeled) examples should need few units.
 *
 * <h2>Criterion (spec §5.2 steps 2–4)</h2>
 * Robust logits {@code f̄_i} = mean over K noisy copies of {@code model(x_i + ε)} ({@link InputNoise}).
 * {@code J = (1/|B|) Σ_{i≠t} CE(f̄_i, y_i) − CE(f̄_t, y_t)} with {@code B} = the target plus a fixed reference batch
 * of other training examples (the code's "first batch", here drawn once with the seed). A unit's score is the
 * first-order decrease of J when it is zeroed, {@code s_u = Σ_{k∈u} θ_k ∂J/∂θ_k}; the best unit is zeroed when its
 * score is positive; the prediction (argmax of {@code f̄_t}) is re-checked with the next iteration's fresh noise.
 * The search stops when the prediction differs from the training label (flipped), when no score is positive, or
 * after {@link Options#maxUnits} zeroings (the reference has no cap, §9 item 17).
 *
 * <h2>Two variants (§9 item 12)</h2>
 * <ul>
 *   <li>{@link Variant#ACTIVATIONS} (default): the paper's wording. Units are the activation channels (conv) or
 *   neurons (linear) at the model's taps ({@link HasTaps}); a unit is zeroed with a mask ({@link Functional#mask})
 *   and its score is {@code m_u ∂J/∂m_u}. Every target has its own mask row on every tap, so one forward/backward
 *   scores a whole batch of targets, each with its own independent greedy state. The reference term's gradient
 *   {@code ∂/∂m (1/|B|) Σ_{i∈R} CE_i} is computed once at the unedited model and shared by all targets: it is
 *   exact for the first zeroing; for later ones it ignores how the target's earlier zeroings change the other
 *   examples' loss (a second-order effect). The target term is always exact.</li>
 *   <li>{@link Variant#WEIGHTS}: what the reference code does. Units are every output filter of every 4-D (conv)
 *   weight and every single scalar of every other parameter (linear weights, biases, norm γ/β); the weights are
 *   zeroed in place; J (reference term included) is recomputed under the target's edits in every iteration. Inherently
 *   one target at a time (each target edits its own copy of the weights).</li>
 * </ul>
 * The model is used in evaluation mode (batch-norm running statistics), as in the reference.
 */
public final class NeuronFlipping {

    /** What a "unit" is. */
    public enum Variant {
        /** Activation channels/neurons at the model's taps, zeroed by masks (batched search). */
        ACTIVATIONS,
        /** Conv filters and single scalars of other parameters, zeroed in the weights (the reference code). */
        WEIGHTS
    }

    /**
     * Search settings.
     *
     * @param variant           unit definition
     * @param maxUnits          cap on zeroed units per target
     * @param noisyCopies       K, copies averaged into the robust logits (reference: 5)
     * @param noiseScale        per-pixel noise standard deviation relative to the reference batch's RMS pixel (0.01)
     * @param referenceSize     other training examples in the criterion's batch (reference: 511 = a 512 batch
     *                          minus the target)
     * @param targetsPerBatch   targets searched simultaneously ({@link Variant#ACTIVATIONS}; 1 = one at a time)
     * @param remainingEvalSize training examples (fixed random subset) on which the accuracy after zeroing a target's
     *                          units is measured; 0 = skip
     * @param evalBatchSize     batch size of forward passes over many examples (reference batch, evaluation)
     * @param seed              seed of the reference batch, evaluation subset and input noise
     */
    public record Options(Variant variant, int maxUnits, int noisyCopies, double noiseScale, int referenceSize,
                          int targetsPerBatch, int remainingEvalSize, int evalBatchSize, long seed) {
        /** Validates every field. */
        public Options {
            if (variant == null) throw new IllegalArgumentException("flipping: variant must be given");
            if (maxUnits < 1) throw new IllegalArgumentException("flipping: maxUnits must be >= 1, got " + maxUnits);
            if (noisyCopies < 1) throw new IllegalArgumentException("flipping: noisyCopies must be >= 1, got " + noisyCopies);
            if (!(noiseScale >= 0)) throw new IllegalArgumentException("flipping: noiseScale must be >= 0, got " + noiseScale);
            if (referenceSize < 0) throw new IllegalArgumentException("flipping: referenceSize must be >= 0, got " + referenceSize);
            if (targetsPerBatch < 1) throw new IllegalArgumentException("flipping: targetsPerBatch must be >= 1, got " + targetsPerBatch);
            if (remainingEvalSize < 0) throw new IllegalArgumentException("flipping: remainingEvalSize must be >= 0, got " + remainingEvalSize);
            if (evalBatchSize < 1) throw new IllegalArgumentException("flipping: evalBatchSize must be >= 1, got " + evalBatchSize);
        }

        /** The reference's settings (K = 5, noise 0.01, batch 512) with a 50-unit cap, activation units, 64 targets at once. */
        public static Options defaults() {
            return new Options(Variant.ACTIVATIONS, 50, 5, 0.01, 511, 64, 1000, 256, 0);
        }

        public Options withVariant(Variant v) {
            return new Options(v, maxUnits, noisyCopies, noiseScale, referenceSize, targetsPerBatch, remainingEvalSize, evalBatchSize, seed);
        }

        public Options withMaxUnits(int n) {
            return new Options(variant, n, noisyCopies, noiseScale, referenceSize, targetsPerBatch, remainingEvalSize, evalBatchSize, seed);
        }

        public Options withReferenceSize(int n) {
            return new Options(variant, maxUnits, noisyCopies, noiseScale, n, targetsPerBatch, remainingEvalSize, evalBatchSize, seed);
        }

        public Options withTargetsPerBatch(int n) {
            return new Options(variant, maxUnits, noisyCopies, noiseScale, referenceSize, n, remainingEvalSize, evalBatchSize, seed);
        }

        public Options withRemainingEvalSize(int n) {
            return new Options(variant, maxUnits, noisyCopies, noiseScale, referenceSize, targetsPerBatch, n, evalBatchSize, seed);
        }

        public Options withSeed(long s) {
            return new Options(variant, maxUnits, noisyCopies, noiseScale, referenceSize, targetsPerBatch, remainingEvalSize, evalBatchSize, s);
        }

        public Options withNoise(int copies, double scale) {
            return new Options(variant, maxUnits, copies, scale, referenceSize, targetsPerBatch, remainingEvalSize, evalBatchSize, seed);
        }
    }

    /**
     * One zeroed unit.
     *
     * @param layer tap name ({@link Variant#ACTIVATIONS}) or parameter name ({@link Variant#WEIGHTS})
     * @param index channel/neuron, filter (conv weight) or flat scalar index
     */
    public record Unit(String layer, int index) { }

    /**
     * Outcome for one target.
     *
     * @param row               row of the target in the example set
     * @param exampleId         example id
     * @param label             training label (the corrupted one for noisy examples)
     * @param noisy             whether the label was corrupted
     * @param initialPrediction robust prediction before any zeroing (≠ label: count 0, already "flipped")
     * @param flipped           whether the prediction left the label within the cap
     * @param count             units zeroed
     * @param units             the zeroed units in order
     * @param finalPrediction   robust prediction at the end
     * @param remainingClean    accuracy on the clean examples of the evaluation subset after zeroing (NaN if skipped)
     * @param remainingNoisy    accuracy on the noisy examples of the evaluation subset after zeroing (NaN if skipped)
     */
    public record Target(int row, int exampleId, int label, boolean noisy, int initialPrediction, boolean flipped,
                         int count, List<Unit> units, int finalPrediction, double remainingClean, double remainingNoisy) { }

    private final Module model;
    private final ExampleSet data;
    private final Options options;
    private final int[] referenceRows;
    private final boolean[] isReference;
    private final int[] evalRows;
    private final float sigma;
    private final List<String> taps;
    private final Map<String, Integer> tapChannels = new LinkedHashMap<>();
    private Map<String, float[]> referenceGradient;
    private Consumer<String> progress = s -> { };

    /**
     * Prepares a search on {@code model} (put in evaluation mode) over {@code data}: draws the reference batch and
     * the evaluation subset with the seed, and measures the input-noise scale.
     */
    public NeuronFlipping(Module model, ExampleSet data, Options options) {
        this.model = model;
        this.data = data;
        this.options = options;
        model.eval();
        int n = data.size();
        SplittableRandom rnd = new SplittableRandom(options.seed() ^ 0x5EED_F11FL);
        int[] perm = permutation(n, rnd);
        int r = Math.min(options.referenceSize(), Math.max(0, n - 1));
        referenceRows = Arrays.copyOf(perm, r);
        Arrays.sort(referenceRows);
        isReference = new boolean[n];
        for (int i : referenceRows) isReference[i] = true;
        int[] perm2 = permutation(n, rnd);
        evalRows = Arrays.copyOf(perm2, Math.min(options.remainingEvalSize(), n));
        Arrays.sort(evalRows);
        ExampleSet ref = data.subset(referenceRows.length > 0 ? referenceRows : new int[] {0});
        sigma = InputNoise.sigma(ref.x(), options.noiseScale());
        if (options.variant() == Variant.ACTIVATIONS) {
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
        } else {
            taps = List.of();
        }
    }

    /** Receives a progress line at most every ten seconds during long searches. */
    public NeuronFlipping onProgress(Consumer<String> sink) {
        this.progress = sink == null ? s -> { } : sink;
        return this;
    }

    /** Rows of the fixed reference batch (never valid targets). */
    public int[] referenceRows() {
        return referenceRows.clone();
    }

    /** Rows of the evaluation subset of the remaining-accuracy measurement. */
    public int[] evaluationRows() {
        return evalRows.clone();
    }

    /** Per-pixel input-noise standard deviation. */
    public float noiseSigma() {
        return sigma;
    }

    /** The settings. */
    public Options options() {
        return options;
    }

    /** Units per tap ({@link Variant#ACTIVATIONS}), in forward order. */
    public Map<String, Integer> tapChannels() {
        return new LinkedHashMap<>(tapChannels);
    }

    /** Whether {@code row} may be a target (it is not in the reference batch). */
    public boolean canTarget(int row) {
        return row >= 0 && row < data.size() && !isReference[row];
    }

    /**
     * Searches every target row; results in the order given. Targets must not be reference rows.
     */
    public List<Target> search(int[] targetRows) {
        for (int t : targetRows) {
            if (!canTarget(t)) {
                throw new IllegalArgumentException("flipping: row " + t + " is " + (t < 0 || t >= data.size()
                        ? "outside [0, " + data.size() + ")" : "in the reference batch") + "; choose targets with canTarget()");
            }
        }
        Map<String, Boolean> trainable = freezeParameters();
        try {
            List<Target> out = new ArrayList<>();
            long start = System.nanoTime(), lastLog = start;
            int step = options.variant() == Variant.ACTIVATIONS ? options.targetsPerBatch() : 1;
            for (int from = 0; from < targetRows.length; from += step) {
                int[] chunk = Arrays.copyOfRange(targetRows, from, Math.min(targetRows.length, from + step));
                out.addAll(options.variant() == Variant.ACTIVATIONS ? searchActivations(chunk) : searchWeights(chunk[0]));
                long now = System.nanoTime();
                if (now - lastLog > 10_000_000_000L && out.size() < targetRows.length) {
                    lastLog = now;
                    progress.accept(String.format(java.util.Locale.ROOT, "flipping: %d/%d targets, %.1f targets/s",
                            out.size(), targetRows.length, out.size() / ((now - start) * 1e-9)));
                }
            }
            return out;
        } finally {
            trainable.forEach((name, on) -> model.namedParameters().get(name).requiresGrad(on));
        }
    }

    // ---- activation-level variant -------------------------------------------------------------------------------

    /** ∂/∂m of (1/|B|) Σ_{i∈R} CE(f̄_i) at the unedited model, per tap; computed once. */
    private Map<String, float[]> referenceGradient() {
        if (referenceGradient != null) return referenceGradient;
        Map<String, float[]> sum = new LinkedHashMap<>();
        for (var e : tapChannels.entrySet()) sum.put(e.getKey(), new float[e.getValue()]);
        int k = options.noisyCopies();
        float weight = 1f / (referenceRows.length + 1);
        int chunk = Math.max(1, options.evalBatchSize() / k);
        for (int from = 0; from < referenceRows.length; from += chunk) {
            int[] rows = Arrays.copyOfRange(referenceRows, from, Math.min(referenceRows.length, from + chunk));
            try (TensorScope s = Tensors.scope()) {
                Map<String, Tensor> leaves = new LinkedHashMap<>();
                for (var e : tapChannels.entrySet()) leaves.put(e.getKey(), Tensor.ones(e.getValue()).requiresGrad(true));
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
        referenceGradient = sum;
        return sum;
    }

    private List<Target> searchActivations(int[] targets) {
        Map<String, float[]> gRef = referenceGradient();
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

    // ---- weight-level variant (the reference code) --------------------------------------------------------------

    private List<Target> searchWeights(int target) {
        Map<String, Tensor> params = model.namedParameters();
        Map<String, float[]> original = new LinkedHashMap<>();
        Map<String, float[]> edited = new LinkedHashMap<>();
        int k = options.noisyCopies(), classes = data.numClasses();
        int label = data.labels()[target];
        int count = 0, initial = -1, fin = -1;
        boolean flipped = false;
        List<Unit> units = new ArrayList<>();
        params.values().forEach(p -> p.requiresGrad(true));
        try {
            while (true) {
                model.zeroGrad();
                float weight = 1f / (referenceRows.length + 1);
                int pred;
                try (TensorScope s = Tensors.scope()) {
                    Tensor logits;
                    try (BatchContext c = BatchContext.of(repeatIds(new int[] {target}, k))) {
                        logits = model.forward(noisyInputs(new int[] {target}, new int[] {count}, k, 0));
                    }
                    Tensor robust = robust(logits, k, 1);
                    pred = Evaluation.argmax(robust.toFloatArray(), 0, classes);
                    if (count == 0) initial = pred;
                    fin = pred;
                    if (pred != label) {
                        flipped = true;
                        break;
                    }
                    if (count >= options.maxUnits()) break;
                    Functional.crossEntropyPerExample(robust, labels(new int[] {target})).sum().neg().backward();
                }
                // reference term under the current edits, noise of the same iteration
                int chunk = Math.max(1, options.evalBatchSize() / k);
                for (int from = 0; from < referenceRows.length; from += chunk) {
                    int[] rows = Arrays.copyOfRange(referenceRows, from, Math.min(referenceRows.length, from + chunk));
                    int[] iters = new int[rows.length];
                    Arrays.fill(iters, count);
                    try (TensorScope s = Tensors.scope()) {
                        Tensor logits;
                        try (BatchContext c = BatchContext.of(repeatIds(rows, k))) {
                            logits = model.forward(noisyInputs(rows, iters, k, 0));
                        }
                        Functional.crossEntropyPerExample(robust(logits, k, rows.length), labels(rows)).sum().mul(weight).backward();
                    }
                }
                String bestName = null;
                int bestUnit = -1;
                double best = 0;
                for (var e : params.entrySet()) {
                    Tensor p = e.getValue();
                    if (p.grad() == null) continue;
                    float[] w = edited.containsKey(e.getKey()) ? edited.get(e.getKey()) : p.toFloatArray();
                    float[] g = p.grad().toFloatArray();
                    int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1; // conv: one unit per output filter
                    for (int u = 0; u < w.length / per; u++) {
                        double su = 0;
                        for (int q = u * per; q < (u + 1) * per; q++) su += (double) w[q] * g[q];
                        if (su > best) {
                            best = su;
                            bestName = e.getKey();
                            bestUnit = u;
                        }
                    }
                }
                if (bestName == null) break;
                Tensor p = params.get(bestName);
                float[] w = edited.computeIfAbsent(bestName, nm -> p.toFloatArray());
                original.computeIfAbsent(bestName, nm -> p.toFloatArray());
                int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1;
                Arrays.fill(w, bestUnit * per, (bestUnit + 1) * per, 0f);
                try (TensorScope s = Tensors.scope()) {
                    p.copyFrom(Tensor.of(w, p.shape()));
                }
                units.add(new Unit(bestName, bestUnit));
                count++;
            }
            model.zeroGrad();
            params.values().forEach(p -> p.requiresGrad(false));
            double[] rem = evalRows.length == 0 ? new double[] {Double.NaN, Double.NaN} : remainingAccuracy(target);
            return List.of(new Target(target, data.ids()[target], label, data.noisy()[target], initial, flipped, count,
                    List.copyOf(units), fin, rem[0], rem[1]));
        } finally {
            for (var e : original.entrySet()) {
                Tensor p = params.get(e.getKey());
                try (TensorScope s = Tensors.scope()) {
                    p.copyFrom(Tensor.of(e.getValue(), p.shape()));
                }
            }
            model.zeroGrad();
            params.values().forEach(p -> p.requiresGrad(false));
        }
    }

    // ---- shared pieces ------------------------------------------------------------------------------------------

    /** Accuracy on the evaluation subset without {@code target} (no noise), split clean / noisy. */
    private double[] remainingAccuracy(int target) {
        int[] rows = Arrays.stream(evalRows).filter(r -> r != target).toArray();
        Evaluation.PerExample r = Evaluation.run(model, data.subset(rows), options.evalBatchSize());
        boolean[] noisy = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) noisy[i] = data.noisy()[rows[i]];
        return new double[] {r.accuracy(noisy, false), r.accuracy(noisy, true)};
    }

    /** The unedited model's accuracy on the evaluation subset, split clean / noisy (for comparison). */
    public double[] baselineRemainingAccuracy() {
        if (evalRows.length == 0) return new double[] {Double.NaN, Double.NaN};
        return remainingAccuracy(-1);
    }

    /**
     * Mislabel-detection baselines for {@code rows} at the unedited model: per-example loss and per-example gradient
     * norm over all parameters ({@link PerExample}), without input noise.
     *
     * @return {loss[], gradient norm[]}
     */
    public double[][] lossAndGradientNorm(int[] rows) {
        double[] loss = new double[rows.length], norm = new double[rows.length];
        List<Tensor> params = new ArrayList<>(model.namedParameters().values());
        Map<String, Boolean> before = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> before.put(n, p.requiresGrad()));
        params.forEach(p -> p.requiresGrad(true));
        try {
            int b = Math.max(1, options.evalBatchSize() / 4);
            for (int from = 0; from < rows.length; from += b) {
                int[] chunk = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + b));
                ExampleSet sub = data.subset(chunk);
                float[][] ce = new float[1][];
                try (TensorScope s = Tensors.scope(); BatchContext c = BatchContext.of(sub.ids())) {
                    PerExampleGradients pe = PerExample.squaredNorms(params, () -> {
                        Tensor l = Functional.crossEntropyPerExample(model.forward(sub.images(0, sub.size())), sub.labelTensor(0, sub.size()));
                        ce[0] = l.toFloatArray();
                        return l;
                    });
                    float[] sq = pe.totalSquaredNorms();
                    pe.release();
                    for (int i = 0; i < chunk.length; i++) {
                        loss[from + i] = ce[0][i];
                        norm[from + i] = Math.sqrt(sq[i]);
                    }
                }
                model.zeroGrad();
            }
        } finally {
            model.zeroGrad();
            before.forEach((n, on) -> model.namedParameters().get(n).requiresGrad(on));
        }
        return new double[][] {loss, norm};
    }

    private Map<String, Boolean> freezeParameters() {
        Map<String, Boolean> before = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> {
            before.put(n, p.requiresGrad());
            p.requiresGrad(false);
        });
        return before;
    }

    /** {@code [k * rows, C, H, W]}: copy q of row j at position {@code q * rows + j}, with its noise. */
    private Tensor noisyInputs(int[] rows, int[] iterations, int k, int unused) {
        int es = data.exampleSize(), n = rows.length;
        float[] x = new float[k * n * es];
        float[] scratch = new float[es];
        for (int q = 0; q < k; q++) {
            for (int j = 0; j < n; j++) {
                int off = (q * n + j) * es;
                System.arraycopy(data.x(), rows[j] * es, x, off, es);
                InputNoise.add(x, off, es, sigma, options.seed(), data.ids()[rows[j]], iterations[j], q, scratch);
            }
        }
        return Tensor.of(x, k * n, data.channels(), data.height(), data.width());
    }

    /** Mean over the K copies: {@code [k * n, classes] -> [n, classes]}. */
    private static Tensor robust(Tensor logits, int k, int n) {
        int classes = logits.dim(1);
        return k == 1 ? logits : logits.reshape(k, n, classes).mean(0, false);
    }

    private int[] repeatIds(int[] rows, int k) {
        int[] ids = new int[k * rows.length];
        for (int q = 0; q < k; q++) for (int j = 0; j < rows.length; j++) ids[q * rows.length + j] = data.ids()[rows[j]];
        return ids;
    }

    private Tensor labels(int[] rows) {
        int[] y = new int[rows.length];
        for (int j = 0; j < rows.length; j++) y[j] = data.labels()[rows[j]];
        return Tensor.ofInts(y, y.length);
    }

    private static int[] indicesWhere(boolean[] flags, boolean want) {
        int c = 0;
        for (boolean f : flags) if (f == want) c++;
        int[] r = new int[c];
        c = 0;
        for (int i = 0; i < flags.length; i++) if (flags[i] == want) r[c++] = i;
        return r;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
