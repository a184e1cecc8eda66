package dev.engram.memorization.localize;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.models.HasTaps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained model seen through the mask primitive ({@link Functional#mask}): its units are the channels (conv) or
 * neurons (linear) at its taps, numbered in tap order into one flat index space, and every example of a batch gets
 * its own mask row over all units. {@link #evaluate} returns the logits and, for any objective of the logits, the
 * gradient of the objective with respect to every row's mask. All localization methods are built on it
 * (docs/methods.md §11).
 *
 * <p>The model is used in evaluation mode with its parameters frozen. An optional {@link TapPlacement} (example-tied
 * dropout for the ground-truth models) stays in place in every forward pass; the example ids come from the data.
 */
public final class MaskedModel {
    /** An objective of one example's logits: returns its value and writes its gradient into {@code dLogits}. */
    @FunctionalInterface
    public interface LogitObjective {
        /** Value for row {@code b} of the batch with logits {@code logits}; fills {@code dLogits} (zeroed). */
        double apply(int b, float[] logits, double[] dLogits);
    }

    /**
     * The outcome of one pass.
     *
     * @param logits    {@code [B][classes]}
     * @param values    objective per row (null without objective)
     * @param gradients {@code [B][units]} derivative of the row's objective with respect to its mask (null without)
     */
    public record Pass(float[][] logits, double[] values, double[][] gradients) { }

    /** One unit: tap name and channel. */
    public record Unit(String tap, int index) {
        @Override
        public String toString() {
            return tap + "#" + index;
        }
    }

    private final Module model;
    private final TapPlacement placement;
    private final ExampleSet data;
    private final LinkedHashMap<String, Integer> channels = new LinkedHashMap<>();
    private final int[] offsets;
    private final int units;

    /**
     * @param model     a model with taps ({@link HasTaps}); put in evaluation mode
     * @param placement layers kept at the taps in every pass (null: none)
     * @param data      the examples (training set) the row indices refer to
     */
    public MaskedModel(Module model, TapPlacement placement, ExampleSet data) {
        if (!(model instanceof HasTaps h) || h.tapNames().isEmpty()) {
            throw new IllegalArgumentException("localization needs a model with named taps (HasTaps); "
                    + model.getClass().getSimpleName() + " has none");
        }
        if (data.size() == 0) throw new IllegalArgumentException("localization: the example set is empty");
        this.model = model;
        this.placement = placement;
        this.data = data;
        model.eval();
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled(); Taps.Recorder rec = Taps.record()) {
            forwardRaw(new int[] {0}, null);
            for (String t : h.tapNames()) {
                int[] shape = rec.shapes().get(t);
                if (shape == null) throw new IllegalStateException("tap " + t + " was not hit by a forward pass of "
                        + model.getClass().getSimpleName());
                channels.put(t, shape[1]);
            }
        }
        offsets = new int[channels.size() + 1];
        int k = 0;
        for (int c : channels.values()) {
            offsets[k + 1] = offsets[k] + c;
            k++;
        }
        units = offsets[channels.size()];
    }

    /** The model. */
    public Module model() {
        return model;
    }

    /** The examples. */
    public ExampleSet data() {
        return data;
    }

    /** The placement kept at the taps, or null. */
    public TapPlacement placement() {
        return placement;
    }

    /** Units at each tap, in tap order. */
    public Map<String, Integer> tapChannels() {
        return new LinkedHashMap<>(channels);
    }

    /** Total number of units. */
    public int units() {
        return units;
    }

    /** Flat index of channel {@code index} of {@code tap}. */
    public int flatIndex(String tap, int index) {
        int k = 0;
        for (var e : channels.entrySet()) {
            if (e.getKey().equals(tap)) {
                if (index < 0 || index >= e.getValue()) {
                    throw new IllegalArgumentException("tap " + tap + " has " + e.getValue() + " units, not " + index);
                }
                return offsets[k] + index;
            }
            k++;
        }
        throw new IllegalArgumentException("no tap " + tap + " (taps: " + channels.keySet() + ")");
    }

    /** The unit of flat index {@code u}. */
    public Unit unit(int u) {
        if (u < 0 || u >= units) throw new IllegalArgumentException("unit " + u + " outside [0, " + units + ")");
        int k = 0;
        for (var e : channels.entrySet()) {
            if (u < offsets[k + 1]) return new Unit(e.getKey(), u - offsets[k]);
            k++;
        }
        throw new IllegalStateException("unreachable");
    }

    /** A mask row of ones. */
    public float[] ones() {
        float[] m = new float[units];
        Arrays.fill(m, 1f);
        return m;
    }

    /**
     * Forward pass of {@code rows} (indices into the data) with per-row masks {@code masks[b]} (null: all ones);
     * with an objective, also its value and mask gradient per row.
     */
    public Pass evaluate(int[] rows, float[][] masks, LogitObjective objective) {
        return frozen(() -> evaluateFrozen(rows, masks, objective));
    }

    private Pass evaluateFrozen(int[] rows, float[][] masks, LogitObjective objective) {
        if (masks != null && masks.length != rows.length) {
            throw new IllegalArgumentException("localization: " + rows.length + " rows but " + masks.length + " mask rows");
        }
        int b = rows.length;
        try (TensorScope s = Tensors.scope(); Grad g = objective == null ? Grad.disabled() : null) {
            Map<String, Tensor> leaves = new LinkedHashMap<>();
            if (masks != null || objective != null) {
                int k = 0;
                for (var e : channels.entrySet()) {
                    int c = e.getValue();
                    float[] v = new float[b * c];
                    for (int j = 0; j < b; j++) {
                        if (masks == null || masks[j] == null) Arrays.fill(v, j * c, (j + 1) * c, 1f);
                        else System.arraycopy(masks[j], offsets[k], v, j * c, c);
                    }
                    leaves.put(e.getKey(), Tensor.of(v, b, c).requiresGrad(objective != null));
                    k++;
                }
            }
            Tensor logits = forwardRaw(rows, leaves);
            int classes = logits.dim(1);
            float[] flat = logits.toFloatArray();
            float[][] out = new float[b][];
            for (int j = 0; j < b; j++) out[j] = Arrays.copyOfRange(flat, j * classes, (j + 1) * classes);
            if (objective == null) return new Pass(out, null, null);
            double[] values = new double[b];
            float[] seed = new float[b * classes];
            for (int j = 0; j < b; j++) {
                double[] d = new double[classes];
                values[j] = objective.apply(j, out[j], d);
                for (int c = 0; c < classes; c++) seed[j * classes + c] = (float) d[c];
            }
            // surrogate Σ logits · dJ/dlogits has the objective's gradient
            logits.mul(Tensor.of(seed, b, classes)).sum().backward();
            double[][] grads = new double[b][units];
            int k = 0;
            for (var e : leaves.entrySet()) {
                int c = channels.get(e.getKey());
                Tensor gr = e.getValue().grad();
                if (gr != null) {
                    float[] gv = gr.toFloatArray();
                    for (int j = 0; j < b; j++) for (int u = 0; u < c; u++) grads[j][offsets[k] + u] = gv[j * c + u];
                }
                k++;
            }
            return new Pass(out, values, grads);
        }
    }

    /** Per row and unit, the activation averaged over positions (conv: spatial mean of the channel). */
    public double[][] activations(int[] rows) {
        double[][] out = new double[rows.length][units];
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled()) {
            List<String> names = new ArrayList<>(channels.keySet());
            Map<String, float[]> seen = new LinkedHashMap<>();
            try (Taps t = Taps.intercept((name, x) -> {
                if (channels.containsKey(name)) seen.put(name, x.toFloatArray());
                return x;
            })) {
                forwardRaw(rows, null);
            }
            for (int k = 0; k < names.size(); k++) {
                float[] v = seen.get(names.get(k));
                int c = channels.get(names.get(k));
                int per = v.length / (rows.length * c);
                for (int j = 0; j < rows.length; j++) {
                    for (int u = 0; u < c; u++) {
                        double sum = 0;
                        int base = (j * c + u) * per;
                        for (int q = 0; q < per; q++) sum += v[base + q];
                        out[j][offsets[k] + u] = sum / per;
                    }
                }
            }
        }
        return out;
    }

    /** Cross-entropy of row {@code label} from logits, with its gradient (softmax − one-hot). */
    public static double crossEntropy(float[] logits, int label, double[] dLogits) {
        double[] p = softmax(logits);
        for (int c = 0; c < p.length; c++) dLogits[c] = p[c] - (c == label ? 1 : 0);
        return -Math.log(Math.max(p[label], 1e-300));
    }

    /** Softmax in double precision. */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double[] p = new double[logits.length];
        double z = 0;
        for (int c = 0; c < p.length; c++) z += p[c] = Math.exp(logits[c] - max);
        for (int c = 0; c < p.length; c++) p[c] /= z;
        return p;
    }

    /** Argmax of logits. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int c = 1; c < logits.length; c++) if (logits[c] > logits[best]) best = c;
        return best;
    }

    /** Runs the model (and placement) on {@code rows} with per-tap mask tensors {@code [B, C]} (null/empty: none). */
    private Tensor forwardRaw(int[] rows, Map<String, Tensor> masks) {
        int es = data.exampleSize();
        float[] x = new float[rows.length * es];
        for (int j = 0; j < rows.length; j++) System.arraycopy(data.x(), rows[j] * es, x, j * es, es);
        int[] ids = new int[rows.length];
        for (int j = 0; j < rows.length; j++) ids[j] = data.ids()[rows[j]];
        Tensor input = Tensor.of(x, rows.length, data.channels(), data.height(), data.width());
        try (BatchContext c = BatchContext.of(ids);
             Taps p = placement == null ? null : placement.open();
             Taps t = masks == null || masks.isEmpty() ? null
                     : Taps.intercept((name, a) -> masks.containsKey(name) ? Functional.mask(a, masks.get(name)) : a)) {
            return model.forward(input);
        }
    }

    /** Runs {@code body} with every parameter of the model frozen (no parameter gradients), then restores them. */
    <T> T frozen(java.util.function.Supplier<T> body) {
        Map<String, Boolean> before = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> {
            before.put(n, p.requiresGrad());
            p.requiresGrad(false);
        });
        try {
            return body.get();
        } finally {
            before.forEach((n, on) -> model.namedParameters().get(n).requiresGrad(on));
        }
    }
}
