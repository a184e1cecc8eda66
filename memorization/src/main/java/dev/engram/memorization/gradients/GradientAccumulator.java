package dev.engram.memorization.gradients;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.PerExampleOptions;
import dev.engram.memorization.data.PerExampleLosses;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.train.LabeledBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient accounting of one model over one pass of mini-batches (docs/methods.md §2, as the reference code does it).
 *
 * <p>Per mini-batch of size B, with the parameters before the batch's update and the model in train mode (batch-norm
 * uses batch statistics): the clean part {@code L_c = (1/B) Σ_{i ∈ clean ∩ b} CE_i} and the noisy part
 * {@code L_n = (1/B) Σ_{i ∈ noisy ∩ b} CE_i} are back-propagated one after the other through the batch's graph (kept
 * with {@code retainGraph}), and each parameter tensor's gradient is added to the running sums {@code G_c,p} and
 * {@code G_n,p}. Then the ordinary mean cross-entropy {@code L = L_c + L_n} is back-propagated — by the trainer when
 * accounting runs inside a training run, so that {@code G_t,p} is the sum of exactly the gradients the optimizer
 * used — and added to {@code G_t,p}. That is three backward passes per batch, as in the reference code; the two extra
 * ones make {@code G_c + G_n = G_t} a check (reported as {@link EpochAccount#additivityError()}) instead of a
 * definition. Weight decay and momentum are not part of any sum (they act inside the optimizer step).
 *
 * <p>Per-example gradient norms {@code ||∇_θ CE_i||}, per layer group and for all parameters, in one of two modes
 * ({@link ExampleNorms}):
 * <ul>
 *   <li>{@link ExampleNorms#EVAL} (default): true per-example gradients. An extra forward/backward of the batch with
 *       the model in evaluation mode (batch-norm with its running statistics, no dropout; running statistics are not
 *       changed) at the same parameters, {@link PerExample#squaredNorms} on the per-example losses. Cost: one more
 *       forward and backward per batch (the accounting otherwise makes one forward and three backward passes per
 *       batch, so on the order of +25% of the accounting's work; not yet timed); the train-mode state is restored before the
 *       accounting's own passes, so the sums {@code G_c, G_n, G_t} are unchanged.</li>
 *   <li>{@link ExampleNorms#TRAIN_BATCH}: collected from the total (train-mode) backward pass with
 *       {@link PerExample#collect} in {@link PerExample.Mode#NORMS} (the norms belong to the mean loss and are
 *       multiplied by B). Free, but for models with train-mode batch-norm not per-example quantities: parameters
 *       upstream of a batch-norm receive the part of the batch gradient that flows through example i's activations,
 *       which mixes in the other examples' gradients through the batch statistics (see {@link PerExample}). For
 *       models without batch-norm or dropout the two modes agree.</li>
 * </ul>
 *
 * <p>Accumulators live on the parameters' device; {@link #finish} turns them into an {@link EpochAccount} and resets.
 */
public final class GradientAccumulator {
    /** How the per-example gradient norms are computed. */
    public enum ExampleNorms {
        /** Evaluation mode, an extra pass: true per-example gradients (batch-norm with running statistics). Default. */
        EVAL("eval-mode per-example gradient norm (true per-example gradients, BN running statistics)"),
        /** From the train-mode total backward pass: batch-coupled through batch-norm statistics. */
        TRAIN_BATCH("train-mode batch-coupled gradient norm (BN batch statistics mix in other examples)");

        private final String description;

        ExampleNorms(String description) {
            this.description = description;
        }

        /** What the norms are, for tables, charts and summaries. */
        public String description() {
            return description;
        }

        /** A short label: {@code "eval-mode"} or {@code "train-mode, batch-coupled"}. */
        public String shortLabel() {
            return this == EVAL ? "eval-mode" : "train-mode, batch-coupled";
        }

        /** Parses {@code eval} or {@code train-batch} (case-insensitive; {@code train} too). */
        public static ExampleNorms parse(String s) {
            String v = s.trim().toLowerCase(java.util.Locale.ROOT);
            if (v.equals("eval")) return EVAL;
            if (v.equals("train-batch") || v.equals("train_batch") || v.equals("train")) return TRAIN_BATCH;
            throw new IllegalArgumentException("unknown per-example norm mode '" + s + "'; expected eval or train-batch");
        }
    }

    private final Module model;
    private final ExampleNorms normMode;
    private final boolean[] noisy;
    private final List<String> groupNames;
    private final List<List<String>> groupMembers;
    private final List<String> paramNames;
    private final List<Tensor> params;
    private final Map<String, List<Tensor>> groupTensors;
    private final Tensor[] clean, noisyAcc, total;
    private final float[][] exampleNorms; // [groups + 1][examples]: per group, then all parameters
    private PerExampleGradients collection;
    private boolean totalOpen;
    private int batches;
    private long t0 = System.nanoTime();

    /**
     * @param model     a model with layer groups ({@link HasLayerGroups})
     * @param noisyMask noisy flag of every training example, indexed by example id
     * @throws IllegalArgumentException when the model has no layer groups or a group names an unknown parameter
     */
    public GradientAccumulator(Module model, boolean[] noisyMask) {
        this(model, noisyMask, ExampleNorms.EVAL);
    }

    /**
     * @param model     a model with layer groups ({@link HasLayerGroups})
     * @param noisyMask noisy flag of every training example, indexed by example id
     * @param normMode  how per-example gradient norms are computed
     */
    public GradientAccumulator(Module model, boolean[] noisyMask, ExampleNorms normMode) {
        this.model = model;
        this.normMode = normMode;
        this.noisy = noisyMask.clone();
        if (!(model instanceof HasLayerGroups hg)) {
            throw new IllegalArgumentException("gradient accounting needs a model with layer groups; "
                    + model.getClass().getSimpleName() + " does not define them (HasLayerGroups)");
        }
        Map<String, Tensor> named = model.namedParameters();
        paramNames = new ArrayList<>();
        params = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            if (!e.getValue().requiresGrad()) continue;
            paramNames.add(e.getKey());
            params.add(e.getValue());
        }
        groupNames = new ArrayList<>();
        groupMembers = new ArrayList<>();
        groupTensors = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> g : hg.layerGroups().entrySet()) {
            List<Tensor> ts = new ArrayList<>();
            for (String n : g.getValue()) {
                Tensor p = named.get(n);
                if (p == null) {
                    throw new IllegalArgumentException("layer group '" + g.getKey() + "' of " + model.getClass().getSimpleName()
                            + " names parameter '" + n + "', which the model does not have; parameters: " + named.keySet());
                }
                if (p.requiresGrad()) ts.add(p);
            }
            groupNames.add(g.getKey());
            groupMembers.add(List.copyOf(g.getValue()));
            groupTensors.put(g.getKey(), ts);
        }
        if (groupNames.isEmpty()) throw new IllegalArgumentException(model.getClass().getSimpleName() + " has no layer groups");
        clean = new Tensor[params.size()];
        noisyAcc = new Tensor[params.size()];
        total = new Tensor[params.size()];
        exampleNorms = new float[groupNames.size() + 1][noisy.length];
        resetExampleNorms();
    }

    /** How the per-example gradient norms are computed. */
    public ExampleNorms exampleNorms() {
        return normMode;
    }

    /**
     * {@link ExampleNorms#EVAL}: records the batch's true per-example gradient norms from an extra pass with the model
     * in evaluation mode at the current parameters, then restores the model's mode and clears every gradient. Does
     * nothing in {@link ExampleNorms#TRAIN_BATCH} mode. Call before {@link #partialPasses} (the batch's train-mode
     * graph may already exist; it is not touched).
     */
    public void exampleNormPass(LabeledBatch batch) {
        if (normMode != ExampleNorms.EVAL) return;
        boolean wasTraining = model.isTraining();
        int b = batch.size();
        int[] ids = batch.exampleIds();
        model.eval();
        try (TensorScope s = Tensors.scope()) {
            model.zeroGrad();
            // the loss closure also serves the engine's batch-of-one fallback (parameters without a per-example rule)
            PerExampleGradients pe = PerExample.squaredNorms(params, idx -> PerExampleLosses.losses(model, batch, idx), b);
            Map<String, float[]> groups = pe.groupSquaredNorms(groupTensors);
            int g = 0;
            for (float[] sq : groups.values()) {
                for (int k = 0; k < b; k++) exampleNorms[g][ids[k]] = (float) Math.sqrt(sq[k]);
                g++;
            }
            float[] all = pe.totalSquaredNorms();
            for (int k = 0; k < b; k++) exampleNorms[g][ids[k]] = (float) Math.sqrt(all[k]);
            pe.release();
        } finally {
            model.zeroGrad();
            model.train(wasTraining);
        }
    }

    /** Layer-group names in forward order. */
    public List<String> groupNames() {
        return List.copyOf(groupNames);
    }

    /**
     * Back-propagates the clean and the noisy part of the batch's loss (graph retained) and adds the gradients to
     * {@code G_c} and {@code G_n}; leaves every gradient cleared. Call before the total backward pass.
     *
     * @param logits the batch's logits (train mode, graph alive)
     * @param batch  the batch; labels are the training (noisy) labels, ids index the noise mask
     */
    public void partialPasses(Tensor logits, LabeledBatch batch) {
        int b = batch.size();
        int[] ids = batch.exampleIds();
        float[] mc = new float[b], mn = new float[b];
        int nc = 0, nn = 0;
        for (int k = 0; k < b; k++) {
            int id = ids[k];
            if (id < 0 || id >= noisy.length) {
                throw new IllegalArgumentException("gradient accounting: example id " + id + " outside the noise mask of "
                        + noisy.length + " examples");
            }
            if (noisy[id]) {
                mn[k] = 1f;
                nn++;
            } else {
                mc[k] = 1f;
                nc++;
            }
        }
        Device dev = logits.device();
        Tensor ce = Functional.crossEntropyPerExample(logits, batch.labels());
        if (nc > 0) backwardPart(ce, Tensor.of(dev, mc, b), b, clean);
        if (nn > 0) backwardPart(ce, Tensor.of(dev, mn, b), b, noisyAcc);
        model.zeroGrad();
    }

    private void backwardPart(Tensor ce, Tensor mask, int b, Tensor[] acc) {
        Tensor part = ce.mul(mask).sum().mul(1f / b);
        model.zeroGrad();
        part.backward(Tensor.full(part.device(), 1f, part.shape()), true);
        addGradients(acc);
    }

    /** Starts collecting per-example norms for the next (total) backward pass (see {@link #beginTotalPass(LabeledBatch)}). */
    public void beginTotalPass() {
        beginTotalPass(null);
    }

    /**
     * Starts collecting per-example norms for the next (total) backward pass, the mean cross-entropy of {@code batch}.
     * With the batch, parameters used by an op without a per-example rule (e.g. the ViT's attention temperature under
     * {@code exp}) get their per-example gradients from batch-of-one passes that rerun the model on single examples of
     * {@code batch}; without it such a model fails.
     */
    public void beginTotalPass(LabeledBatch batch) {
        if (collection != null) collection.close();
        PerExampleOptions options = batch == null ? PerExampleOptions.defaults() : PerExampleLosses.forBatch(model, batch);
        collection = normMode == ExampleNorms.TRAIN_BATCH ? PerExample.collect(params, PerExample.Mode.NORMS, options) : null;
        totalOpen = true;
    }

    /**
     * After the total backward pass (mean cross-entropy of the batch): ends the per-example collection, records the
     * batch's per-example norms and adds the gradients to {@code G_t}. Gradients are left as they are (the optimizer
     * step uses them).
     */
    public void endTotalPass(LabeledBatch batch) {
        if (!totalOpen) throw new IllegalStateException("gradient accounting: endTotalPass without beginTotalPass");
        totalOpen = false;
        if (normMode == ExampleNorms.TRAIN_BATCH) recordTrainBatchNorms(batch);
        addGradients(total);
        batches++;
    }

    private void recordTrainBatchNorms(LabeledBatch batch) {
        PerExampleGradients pe = collection;
        collection = null;
        pe.close();
        int b = batch.size();
        int[] ids = batch.exampleIds();
        Map<String, float[]> groups = pe.groupSquaredNorms(groupTensors);
        int g = 0;
        for (float[] sq : groups.values()) {
            for (int k = 0; k < b; k++) exampleNorms[g][ids[k]] = (float) (Math.sqrt(sq[k]) * b);
            g++;
        }
        float[] all = pe.totalSquaredNorms();
        for (int k = 0; k < b; k++) exampleNorms[g][ids[k]] = (float) (Math.sqrt(all[k]) * b);
    }

    /** Abandons an open per-example collection (after a failed step). */
    public void abortTotalPass() {
        totalOpen = false;
        if (collection != null) {
            PerExampleGradients pe = collection;
            collection = null;
            try {
                pe.close();
            } catch (RuntimeException ignored) {
                // the step failed already; its partial results are not used
            }
        }
    }

    private void addGradients(Tensor[] acc) {
        try (Grad g = Grad.disabled(); TensorScope s = Tensors.scope()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor grad = params.get(i).grad();
                if (grad == null) continue;
                if (acc[i] == null) {
                    acc[i] = Tensor.zeros(grad.device(), grad.shape()).retain();
                }
                acc[i].copyFrom(acc[i].add(grad));
            }
        }
    }

    /**
     * The current sums of parameter {@code name} (host copies): {@code {G_c, G_n, G_t}}, zeros where nothing was
     * accumulated yet.
     */
    public float[][] sums(String name) {
        int i = paramNames.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("gradient accounting tracks no parameter '" + name + "'; tracked: " + paramNames);
        Tensor p = params.get(i);
        return new float[][] {host(clean[i], p), host(noisyAcc[i], p), host(total[i], p)};
    }

    /** Batches accounted since the last {@link #finish}. */
    public int batches() {
        return batches;
    }

    /**
     * The account of the batches seen since the last call, then resets the sums.
     *
     * @param epoch  the epoch (training epoch whose batches were seen, or checkpoint index)
     * @param source {@link EpochAccount#DURING_TRAINING} or {@link EpochAccount#AT_CHECKPOINT}
     */
    public EpochAccount finish(int epoch, String source) {
        int gN = groupNames.size();
        double[] cn = new double[gN], nn = new double[gN], tn = new double[gN], cos = new double[gN];
        double maxErr = 0;
        Map<Tensor, Integer> index = new java.util.IdentityHashMap<>();
        for (int i = 0; i < params.size(); i++) index.put(params.get(i), i);
        double[][] perTensor = new double[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            float[] c = host(clean[i], params.get(i)), n = host(noisyAcc[i], params.get(i)), t = host(total[i], params.get(i));
            double cc = 0, nq = 0, tt = 0, dot = 0, err = 0;
            for (int k = 0; k < c.length; k++) {
                cc += (double) c[k] * c[k];
                nq += (double) n[k] * n[k];
                tt += (double) t[k] * t[k];
                dot += (double) c[k] * n[k];
                double d = (double) c[k] + n[k] - t[k];
                err += d * d;
            }
            double scale = Math.max(Math.sqrt(cc), Math.sqrt(nq));
            if (scale > 0) maxErr = Math.max(maxErr, Math.sqrt(err) / scale);
            double cosine = cc > 0 && nq > 0 ? dot / Math.sqrt(cc * nq) : Double.NaN;
            perTensor[i] = new double[] {Math.sqrt(cc), Math.sqrt(nq), Math.sqrt(tt), cosine, c.length};
        }
        for (int g = 0; g < gN; g++) {
            double cosSum = 0;
            int cosCount = 0;
            for (Tensor p : groupTensors.get(groupNames.get(g))) {
                double[] v = perTensor[index.get(p)];
                double root = Math.sqrt(v[4]);
                cn[g] += v[0] / root;
                nn[g] += v[1] / root;
                tn[g] += v[2] / root;
                if (!Double.isNaN(v[3])) {
                    cosSum += v[3];
                    cosCount++;
                }
            }
            cos[g] = cosCount == 0 ? Double.NaN : cosSum / cosCount;
        }
        float[][] ex = new float[gN + 1][];
        for (int g = 0; g <= gN; g++) ex[g] = exampleNorms[g].clone();
        double seconds = (System.nanoTime() - t0) / 1e9;
        EpochAccount a = new EpochAccount(epoch, source, groupNames, cn, nn, tn, cos, ex, maxErr, batches, seconds,
                normMode.name());
        reset();
        return a;
    }

    private static float[] host(Tensor acc, Tensor param) {
        return acc == null ? new float[(int) param.numel()] : acc.toFloatArray();
    }

    /** Clears the sums and per-example norms (freeing the accumulators). */
    public void reset() {
        for (Tensor[] a : new Tensor[][] {clean, noisyAcc, total}) {
            for (int i = 0; i < a.length; i++) {
                if (a[i] != null) a[i].free();
                a[i] = null;
            }
        }
        resetExampleNorms();
        batches = 0;
        t0 = System.nanoTime();
    }

    private void resetExampleNorms() {
        for (float[] row : exampleNorms) Arrays.fill(row, Float.NaN);
    }

    /** Names of the tracked parameters (every parameter requiring a gradient), in model order. */
    public List<String> parameterNames() {
        return List.copyOf(paramNames);
    }

    /** Parameter names of each layer group, in {@link #groupNames()} order. */
    public List<List<String>> groupMembers() {
        return List.copyOf(groupMembers);
    }
}
