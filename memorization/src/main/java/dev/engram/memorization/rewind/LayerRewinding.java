package dev.engram.memorization.rewind;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Layer rewinding on one model (docs/methods.md §3): overwrite the tensors of one layer group with their values from another
 * state dict (an earlier checkpoint), leaving every other tensor as it is.
 *
 * <p>A group is the list of parameter names of {@link HasLayerGroups#layerGroups()} (weights, biases, BN affine γ/β).
 * BN running statistics belong to no group; {@link BnStats} decides whether the statistics of the batch-norm modules
 * that own a group parameter are rewound with it.
 */
public final class LayerRewinding {

    /** What happens to the BN running statistics of a rewound group. */
    public enum BnStats {
        /**
         * Running mean/variance (and the batch counter) stay at their final values: what the paper's code does
         * ({@code experiments/rewinding.py} copies only the group's parameter list). Default.
         */
        KEEP_FINAL("keep-final"),
        /** The running statistics of every module owning a group parameter are restored from the same checkpoint. */
        REWIND("rewind");

        private final String label;

        BnStats(String label) {
            this.label = label;
        }

        /** The command-line spelling ({@code keep-final}, {@code rewind}). */
        public String label() {
            return label;
        }

        /** Parses {@link #label()}. */
        public static BnStats parse(String s) {
            for (BnStats b : values()) if (b.label.equals(s.trim().toLowerCase(Locale.ROOT))) return b;
            throw new IllegalArgumentException("unknown BN statistics mode '" + s + "'; expected keep-final or rewind");
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private LayerRewinding() { }

    /** The layer groups of {@code model} (name → parameter names, forward order). */
    public static LinkedHashMap<String, List<String>> groups(Module model) {
        if (!(model instanceof HasLayerGroups g)) {
            throw new IllegalArgumentException(model.getClass().getSimpleName()
                    + " does not define layer groups (HasLayerGroups); layer-level analyses need them");
        }
        LinkedHashMap<String, List<String>> groups = g.layerGroups();
        if (groups.isEmpty()) throw new IllegalArgumentException(model.getClass().getSimpleName() + " has no layer groups");
        return groups;
    }

    /**
     * The state-dict names rewinding {@code group} overwrites: the group's parameters, plus (with
     * {@link BnStats#REWIND}) the buffers of every module that owns one of them.
     *
     * @throws IllegalArgumentException for an unknown group or a group naming a tensor the model lacks
     */
    public static List<String> tensorNames(Module model, String group, BnStats bn) {
        LinkedHashMap<String, List<String>> groups = groups(model);
        List<String> params = groups.get(group);
        if (params == null) {
            throw new IllegalArgumentException("unknown layer group '" + group + "'; " + model.getClass().getSimpleName()
                    + " has groups " + groups.keySet());
        }
        Map<String, Tensor> own = model.namedParameters();
        Set<String> names = new LinkedHashSet<>();
        for (String p : params) {
            if (!own.containsKey(p)) {
                throw new IllegalArgumentException("layer group '" + group + "' names parameter '" + p + "' which "
                        + model.getClass().getSimpleName() + " does not have");
            }
            names.add(p);
        }
        if (bn == BnStats.REWIND) {
            Set<String> owners = new LinkedHashSet<>();
            for (String p : params) owners.add(p.contains(".") ? p.substring(0, p.lastIndexOf('.') + 1) : "");
            for (String b : model.namedBuffers().keySet()) {
                String owner = b.contains(".") ? b.substring(0, b.lastIndexOf('.') + 1) : "";
                if (owners.contains(owner)) names.add(b);
            }
        }
        return new ArrayList<>(names);
    }

    /**
     * Overwrites the tensors of {@code group} in {@code model} with their values in {@code source} (e.g. the
     * state dict of an earlier checkpoint); every other tensor keeps its value.
     *
     * @return the state-dict names overwritten
     * @throws IllegalArgumentException when {@code source} lacks one of the tensors or has another shape or dtype
     */
    public static List<String> rewind(Module model, Map<String, Tensor> source, String group, BnStats bn) {
        List<String> names = tensorNames(model, group, bn);
        Map<String, Tensor> own = model.stateDict();
        List<String> problems = new ArrayList<>();
        for (String n : names) {
            Tensor src = source.get(n);
            Tensor dst = own.get(n);
            if (src == null) {
                problems.add("missing '" + n + "'");
            } else if (!Arrays.equals(src.shape(), dst.shape()) || src.dtype() != dst.dtype()) {
                problems.add("'" + n + "': expected " + dst.describe() + ", found " + src.describe());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot rewind layer group '" + group + "': " + String.join("; ", problems));
        }
        for (String n : names) own.get(n).copyFrom(source.get(n));
        return names;
    }
}
