package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.PerExampleLosses;
import dev.engram.nn.train.LabeledBatch;
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
 * Greedy neuron flipping (Maini et al. 2023, docs/methods.md §5): for a target training example, repeatedly zero the unit
 * whose removal most increases the target's loss while keeping the loss of other training examples low, until the
 * model's prediction on the target flips. Memorized (mislabeled) examples should need few units.
 *
 * <h2>Criterion (docs/methods.md §5.2 steps 2–4)</h2>
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
 *   {@code ∂/∂m (1/|B|) Σ_{i∈R} CE_i} is by default recomputed under each target's current masks before every
 *   zeroing ({@link ReferenceGradient#EXACT}, the paper's criterion); {@link ReferenceGradient#SHARED} computes it
 *   once at the unedited model and reuses it (exact for the first zeroing only). The target term is always exact.
 *   See {@link ActivationFlipping} for how much the two differ.</li>
 *   <li>{@link Variant#WEIGHTS}: what the reference code does. Units are every output filter of every 4-D (conv)
 *   weight and every single scalar of every other parameter (linear weights, biases, norm γ/β); the weights are
 *   zeroed in place; J (reference term included) is recomputed under the target's edits in every iteration. Inherently
 *   one target at a time (each target edits its own copy of the weights).</li>
 * </ul>
 * The model is used in evaluation mode (batch-norm running statistics), as in the reference. This class holds what
 * both variants share (reference batch, evaluation subset, input noise, the search loop); each variant is its own
 * class beside it.
 */
public abstract sealed class NeuronFlipping permits ActivationFlipping, WeightFlipping {

    /** What a "unit" is. */
    public enum Variant {
        /** Activation channels/neurons at the model's taps, zeroed by masks (batched search). */
        ACTIVATIONS,
        /** Conv filters and single scalars of other parameters, zeroed in the weights (the reference code). */
        WEIGHTS
    }

    /**
     * How the activation variant obtains the reference term's gradient {@code ∂/∂m (1/|B|) Σ_{i∈R} CE_i} (docs/methods.md §5.2
     * step 3) for each zeroing.
     */
    public enum ReferenceGradient {
        /**
         * Recomputed under each target's current masks before every zeroing (the paper's criterion: J is evaluated
         * at the edited model). Costs one pass over the reference batch per distinct mask set (cached by the set of
         * zeroed units, so targets that zeroed the same units share it). Default.
         */
        EXACT,
        /**
         * Computed once at the unedited model and reused for every later zeroing (exact for the first zeroing only;
         * ignores how earlier zeroings change the other examples' loss). Cheaper.
         */
        SHARED
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
     * @param referenceGradient how the activation variant gets the reference term's gradient (ignored by
     *                          {@link Variant#WEIGHTS}, which always recomputes J)
     */
    public record Options(Variant variant, int maxUnits, int noisyCopies, double noiseScale, int referenceSize,
                          int targetsPerBatch, int remainingEvalSize, int evalBatchSize, long seed,
                          ReferenceGradient referenceGradient) {
        /** Validates every field. */
        public Options {
            if (variant == null) throw new IllegalArgumentException("flipping: variant must be given");
            if (referenceGradient == null) throw new IllegalArgumentException("flipping: referenceGradient must be given");
            if (maxUnits < 1) throw new IllegalArgumentException("flipping: maxUnits must be >= 1, got " + maxUnits);
            if (noisyCopies < 1) throw new IllegalArgumentException("flipping: noisyCopies must be >= 1, got " + noisyCopies);
            if (!(noiseScale >= 0)) throw new IllegalArgumentException("flipping: noiseScale must be >= 0, got " + noiseScale);
            if (referenceSize < 0) throw new IllegalArgumentException("flipping: referenceSize must be >= 0, got " + referenceSize);
            if (targetsPerBatch < 1) throw new IllegalArgumentException("flipping: targetsPerBatch must be >= 1, got " + targetsPerBatch);
            if (remainingEvalSize < 0) throw new IllegalArgumentException("flipping: remainingEvalSize must be >= 0, got " + remainingEvalSize);
            if (evalBatchSize < 1) throw new IllegalArgumentException("flipping: evalBatchSize must be >= 1, got " + evalBatchSize);
        }

        /**
         * The reference's settings (K = 5, noise 0.01, batch 512) with a 50-unit cap, activation units, 64 targets at
         * once, the reference gradient recomputed after every zeroing.
         */
        public static final Options DEFAULTS = new Options(Variant.ACTIVATIONS, 50, 5, 0.01, 511, 64, 1000, 256, 0,
                ReferenceGradient.EXACT);

        /** {@link #DEFAULTS}. */
        public static Options defaults() {
            return DEFAULTS;
        }

        /** A builder starting from these settings. */
        public Builder toBuilder() {
            return new Builder(this);
        }

        /** Builds {@link Options} from a starting point; every setter names one field. */
        public static final class Builder {
            private Variant variant;
            private int maxUnits, noisyCopies, referenceSize, targetsPerBatch, remainingEvalSize, evalBatchSize;
            private double noiseScale;
            private long seed;
            private ReferenceGradient referenceGradient;

            private Builder(Options o) {
                referenceGradient = o.referenceGradient;
                variant = o.variant;
                maxUnits = o.maxUnits;
                noisyCopies = o.noisyCopies;
                noiseScale = o.noiseScale;
                referenceSize = o.referenceSize;
                targetsPerBatch = o.targetsPerBatch;
                remainingEvalSize = o.remainingEvalSize;
                evalBatchSize = o.evalBatchSize;
                seed = o.seed;
            }

            /** Unit definition. */
            public Builder variant(Variant v) { variant = v; return this; }

            /** Cap on zeroed units per target. */
            public Builder maxUnits(int n) { maxUnits = n; return this; }

            /** Noisy input copies and their noise scale. */
            public Builder noise(int copies, double scale) { noisyCopies = copies; noiseScale = scale; return this; }

            /** Other training examples in the criterion's batch. */
            public Builder referenceSize(int n) { referenceSize = n; return this; }

            /** Targets searched at once. */
            public Builder targetsPerBatch(int n) { targetsPerBatch = n; return this; }

            /** Examples of the remaining-accuracy measurement. */
            public Builder remainingEvalSize(int n) { remainingEvalSize = n; return this; }

            /** Batch size of forward passes over many examples. */
            public Builder evalBatchSize(int n) { evalBatchSize = n; return this; }

            /** Seed of the reference batch, evaluation subset and input noise. */
            public Builder seed(long s) { seed = s; return this; }

            /** How the activation variant gets the reference term's gradient. */
            public Builder referenceGradient(ReferenceGradient r) { referenceGradient = r; return this; }

            /** The validated options. */
            public Options build() {
                return new Options(variant, maxUnits, noisyCopies, noiseScale, referenceSize, targetsPerBatch,
                        remainingEvalSize, evalBatchSize, seed, referenceGradient);
            }
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

    /** Noise values per parallel chunk of {@link #noisyInputs}, at least (tens of microseconds of work). */
    private static final int NOISE_GRAIN = 4096;

    final Module model;
    final ExampleSet data;
    final Options options;
    final int[] referenceRows;
    final boolean[] isReference;
    final int[] evalRows;
    final float sigma;
    Consumer<String> progress = s -> { };
    java.util.function.LongConsumer targetsDone = n -> { };

    /**
     * A search of the options' variant: {@link ActivationFlipping} or {@link WeightFlipping}.
     */
    public static NeuronFlipping create(Module model, ExampleSet data, Options options) {
        return create(model, data, options, new int[0]);
    }

    /**
     * A search of the options' variant whose reference batch is drawn from the rows other than {@code notReference}, so
     * that those rows can all be targets (a run chooses its targets first: on a small run the reference batch would
     * otherwise leave too few examples to target).
     */
    public static NeuronFlipping create(Module model, ExampleSet data, Options options, int[] notReference) {
        return options.variant() == Variant.ACTIVATIONS ? new ActivationFlipping(model, data, options, notReference)
                : new WeightFlipping(model, data, options, notReference);
    }

    /**
     * An activation-level search ({@link ActivationFlipping}) whose reference batch is drawn from the rows other than
     * {@code notReference}, so that those rows can all be targets (used by the localization benchmark, which chooses
     * its targets first).
     */
    public static NeuronFlipping activations(Module model, ExampleSet data, Options options, int[] notReference) {
        if (options.variant() != Variant.ACTIVATIONS) {
            throw new IllegalArgumentException("flipping: activations() needs the ACTIVATIONS variant, got " + options.variant());
        }
        return new ActivationFlipping(model, data, options, notReference);
    }

    /**
     * Prepares a search on {@code model} (put in evaluation mode) over {@code data}: draws the reference batch and
     * the evaluation subset with the seed, and measures the input-noise scale.
     */
    NeuronFlipping(Module model, ExampleSet data, Options options) {
        this(model, data, options, new int[0]);
    }

    /** As {@link #NeuronFlipping(Module, ExampleSet, Options)}, never drawing the rows {@code notReference} into the reference batch. */
    NeuronFlipping(Module model, ExampleSet data, Options options, int[] notReference) {
        this.model = model;
        this.data = data;
        this.options = options;
        model.eval();
        int n = data.size();
        SplittableRandom rnd = new SplittableRandom(options.seed() ^ 0x5EED_F11FL);
        int[] perm = permutation(n, rnd);
        if (notReference.length > 0) {
            boolean[] excluded = new boolean[n];
            for (int row : notReference) if (row >= 0 && row < n) excluded[row] = true;
            perm = Arrays.stream(perm).filter(row -> !excluded[row]).toArray();
        }
        int r = Math.min(options.referenceSize(), Math.max(0, Math.min(n - 1, perm.length)));
        referenceRows = Arrays.copyOf(perm, r);
        Arrays.sort(referenceRows);
        isReference = new boolean[n];
        for (int i : referenceRows) isReference[i] = true;
        int[] perm2 = permutation(n, rnd);
        evalRows = Arrays.copyOf(perm2, Math.min(options.remainingEvalSize(), n));
        Arrays.sort(evalRows);
        ExampleSet ref = data.subset(referenceRows.length > 0 ? referenceRows : new int[] {0});
        sigma = InputNoise.sigma(ref.x(), options.noiseScale());
    }

    /** Receives a progress line at most every ten seconds during long searches. */
    public NeuronFlipping onProgress(Consumer<String> sink) {
        this.progress = sink == null ? s -> { } : sink;
        return this;
    }

    /** Receives the number of targets searched so far after every chunk of targets ({@link #search}). */
    public NeuronFlipping onTargetsDone(java.util.function.LongConsumer sink) {
        this.targetsDone = sink == null ? n -> { } : sink;
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

    /** Units per tap ({@link Variant#ACTIVATIONS}), in forward order; empty for weight units. */
    public Map<String, Integer> tapChannels() {
        return Map.of();
    }

    /**
     * How many targets the search works on at once; shards of a sharded run are cut at multiples of it
     * ({@code FlipAnalysis}), which keeps them aligned with how an unsharded run would have batched.
     */
    abstract int targetsPerChunk();

    /**
     * Searches the validated target rows independently of each other, results in the order given, calling
     * {@link #finished} whenever targets complete.
     */
    abstract List<Target> searchTargets(int[] rows);

    private long searchStart, lastProgress;

    /** Reports that {@code done} of {@code total} targets are finished: the targets-done sink and, every ten seconds, a progress line. */
    final void finished(int done, int total) {
        targetsDone.accept(done);
        long now = System.nanoTime();
        if (now - lastProgress > 10_000_000_000L && done < total) {
            lastProgress = now;
            progress.accept(String.format(java.util.Locale.ROOT, "flipping: %d/%d targets, %.1f targets/s",
                    done, total, done / ((now - searchStart) * 1e-9)));
        }
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
            searchStart = lastProgress = System.nanoTime();
            return searchTargets(targetRows.clone());
        } finally {
            trainable.forEach((name, on) -> model.namedParameters().get(name).requiresGrad(on));
        }
    }

    // ---- shared pieces ------------------------------------------------------------------------------------------

    /** Accuracy on the evaluation subset without {@code target} (no noise), split clean / noisy. */
    double[] remainingAccuracy(int target) {
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

    /** Examples per batch of {@link #lossAndGradientNorm}. */
    int gradientNormChunk() {
        return Math.max(1, options.evalBatchSize() / 4);
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
            int b = gradientNormChunk();
            for (int from = 0; from < rows.length; from += b) {
                int[] chunk = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + b));
                ExampleSet sub = data.subset(chunk);
                float[][] ce = new float[1][];
                try (TensorScope s = Tensors.scope()) {
                    int m = sub.size();
                    LabeledBatch batch = new LabeledBatch(sub.images(0, m), sub.labelTensor(0, m), sub.ids());
                    // the closure also serves the engine's batch-of-one fallback (parameters without a per-example rule)
                    PerExampleGradients pe = PerExample.squaredNorms(params, idx -> {
                        Tensor l = PerExampleLosses.losses(model, batch, idx);
                        if (idx.length == m) ce[0] = l.toFloatArray();
                        return l;
                    }, m);
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

    Map<String, Boolean> freezeParameters() {
        Map<String, Boolean> before = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> {
            before.put(n, p.requiresGrad());
            p.requiresGrad(false);
        });
        return before;
    }

    /**
     * {@code [k * rows, C, H, W]}: copy q of row j at position {@code q * rows + j}, with its noise. The copies are
     * generated in parallel; each one's noise depends only on (seed, example id, iteration, copy), so the result does
     * not depend on the thread count.
     */
    Tensor noisyInputs(int[] rows, int[] iterations, int k, int unused) {
        int es = data.exampleSize(), n = rows.length;
        float[] x = new float[k * n * es];
        CpuParallel.forRange(k * n, Math.max(1, NOISE_GRAIN / Math.max(1, es)), (from, to) -> {
            float[] scratch = new float[es];
            for (int c = from; c < to; c++) {
                int q = c / n, j = c % n, off = c * es;
                System.arraycopy(data.x(), rows[j] * es, x, off, es);
                InputNoise.add(x, off, es, sigma, options.seed(), data.ids()[rows[j]], iterations[j], q, scratch);
            }
        });
        return Tensor.of(x, k * n, data.channels(), data.height(), data.width());
    }

    /** Mean over the K copies: {@code [k * n, classes] -> [n, classes]}. */
    static Tensor robust(Tensor logits, int k, int n) {
        int classes = logits.dim(1);
        return k == 1 ? logits : logits.reshape(k, n, classes).mean(0, false);
    }

    int[] repeatIds(int[] rows, int k) {
        int[] ids = new int[k * rows.length];
        for (int q = 0; q < k; q++) for (int j = 0; j < rows.length; j++) ids[q * rows.length + j] = data.ids()[rows[j]];
        return ids;
    }

    Tensor labels(int[] rows) {
        int[] y = new int[rows.length];
        for (int j = 0; j < rows.length; j++) y[j] = data.labels()[rows[j]];
        return Tensor.ofInts(y, y.length);
    }

    static int[] indicesWhere(boolean[] flags, boolean want) {
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
