package dev.engram.memorization.prune;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Linear;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Global unstructured magnitude pruning (docs/methods.md §10.8), as in He et al., "Sparse Double Descent: Where Network
 * Pruning Aggravates Overfitting" (ICML 2022) and the lottery-ticket procedure they follow (Frankle and Carbin, ICLR
 * 2019): the prunable weights are the weight tensors of the linear and convolution layers (not biases, not
 * normalization parameters); all of them are ranked together by {@code |w|} and the smallest are removed until the
 * target sparsity is reached. Weights pruned earlier stay pruned.
 */
public final class MagnitudePruning {
    private MagnitudePruning() { }

    /** The names of {@code model}'s prunable weights (linear and convolution weights), in state-dict order. */
    public static List<String> prunableWeights(Module model) {
        List<String> out = new ArrayList<>();
        for (var e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Linear || e.getValue() instanceof Conv2d) {
                out.add(e.getKey().isEmpty() ? "weight" : e.getKey() + ".weight");
            }
        }
        Map<String, Tensor> params = model.namedParameters();
        out.removeIf(n -> !params.containsKey(n));
        out.sort((a, b) -> Integer.compare(indexOf(params, a), indexOf(params, b)));
        return out;
    }

    private static int indexOf(Map<String, Tensor> params, String name) {
        int i = 0;
        for (String n : params.keySet()) {
            if (n.equals(name)) return i;
            i++;
        }
        return -1;
    }

    /** The values of {@code names} in {@code model}, copied, in the order of {@code names}. */
    public static LinkedHashMap<String, float[]> values(Module model, List<String> names) {
        Map<String, Tensor> params = model.namedParameters();
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        for (String n : names) {
            Tensor t = params.get(n);
            if (t == null) throw new IllegalArgumentException("model has no parameter '" + n + "'");
            out.put(n, t.toFloatArray());
        }
        return out;
    }

    /** Masks that keep every weight of {@code weights} (all ones). */
    public static LinkedHashMap<String, float[]> dense(Map<String, float[]> weights) {
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        weights.forEach((n, w) -> {
            float[] m = new float[w.length];
            Arrays.fill(m, 1f);
            out.put(n, m);
        });
        return out;
    }

    /** Number of weights in {@code masks}. */
    public static long size(Map<String, float[]> masks) {
        long n = 0;
        for (float[] m : masks.values()) n += m.length;
        return n;
    }

    /** Number of pruned (zero) entries of {@code masks}. */
    public static long pruned(Map<String, float[]> masks) {
        long n = 0;
        for (float[] m : masks.values()) for (float v : m) if (v == 0f) n++;
        return n;
    }

    /** The number of weights pruned at {@code sparsity} out of {@code total}: {@code round(sparsity * total)}. */
    public static long prunedAt(double sparsity, long total) {
        return Math.round(sparsity * total);
    }

    /**
     * The masks after pruning {@code weights} globally by magnitude to {@code sparsity}: among the weights {@code masks}
     * still keeps, the ones of smallest {@code |w|} are pruned until {@code round(sparsity * total)} weights are pruned
     * in all. Ties are broken by position: the tensor first in {@code weights}' order, then the lower element index, is
     * pruned first, so the result never depends on sorting details.
     *
     * @param weights  the weights by name (the order of the map is the tie order)
     * @param masks    the current masks (1 kept, 0 pruned), the same names and sizes
     * @param sparsity target fraction of pruned weights, in [0, 1], at least the current one
     * @return new masks; the arguments are not changed
     * @throws IllegalArgumentException naming a size mismatch, a non-finite weight or a target below the current sparsity
     */
    public static LinkedHashMap<String, float[]> prune(Map<String, float[]> weights, Map<String, float[]> masks,
                                                       double sparsity) {
        if (!(sparsity >= 0 && sparsity <= 1)) throw new IllegalArgumentException("sparsity must be in [0, 1], got " + sparsity);
        if (!weights.keySet().equals(masks.keySet())) {
            throw new IllegalArgumentException("weights " + weights.keySet() + " and masks " + masks.keySet() + " differ");
        }
        long total = 0;
        for (var e : weights.entrySet()) {
            if (e.getValue().length != masks.get(e.getKey()).length) {
                throw new IllegalArgumentException("weight '" + e.getKey() + "' has " + e.getValue().length
                        + " values, its mask " + masks.get(e.getKey()).length);
            }
            total += e.getValue().length;
        }
        long already = pruned(masks);
        long target = prunedAt(sparsity, total);
        if (target < already) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "sparsity %.6f prunes %d of %d weights,"
                    + " but %d are pruned already; sparsities must increase", sparsity, target, total, already));
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 prunable weights: " + total);
        // key = |w| (float bits, order-preserving for non-negative floats) above the global position
        long[] keys = new long[Math.toIntExact(total - already)];
        int k = 0;
        long pos = 0;
        for (var e : weights.entrySet()) {
            float[] w = e.getValue(), m = masks.get(e.getKey());
            for (int i = 0; i < w.length; i++, pos++) {
                if (m[i] == 0f) continue;
                if (!Float.isFinite(w[i])) {
                    throw new IllegalArgumentException("weight '" + e.getKey() + "' holds " + w[i] + " at element " + i);
                }
                keys[k++] = ((long) Float.floatToIntBits(Math.abs(w[i])) << 32) | pos;
            }
        }
        Arrays.sort(keys);
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        long[] offsets = new long[weights.size()];
        List<String> names = new ArrayList<>(weights.keySet());
        long off = 0;
        for (int t = 0; t < names.size(); t++) {
            offsets[t] = off;
            off += weights.get(names.get(t)).length;
            out.put(names.get(t), masks.get(names.get(t)).clone());
        }
        for (int j = 0; j < target - already; j++) {
            long p = keys[j] & 0xffffffffL;
            int t = Arrays.binarySearch(offsets, p);
            if (t < 0) t = -t - 2;
            while (t + 1 < offsets.length && offsets[t + 1] == p) t++; // skip empty tensors starting at p
            out.get(names.get(t))[(int) (p - offsets[t])] = 0f;
        }
        return out;
    }

    /** L2 distance {@code sqrt(sum (a - b)^2)} over every entry of the tensors of {@code a}, matched by name in {@code b}. */
    public static double distance(Map<String, float[]> a, Map<String, float[]> b) {
        return distance(a, b, Map.of());
    }

    /**
     * The learning distance of a sparse network (He et al., ICML 2022, §4): the L2 distance from its initialization,
     * the masked initial weights {@code m ⊙ b}, to its weights {@code a}: entries whose mask in {@code masks} is 0
     * (pruned, zero in {@code a}) count 0; tensors without a mask count in full.
     */
    public static double distance(Map<String, float[]> a, Map<String, float[]> b, Map<String, float[]> masks) {
        if (!a.keySet().equals(b.keySet())) throw new IllegalArgumentException("parameters " + a.keySet() + " and " + b.keySet() + " differ");
        double ss = 0;
        for (var e : a.entrySet()) {
            float[] x = e.getValue(), y = b.get(e.getKey());
            if (x.length != y.length) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' has " + x.length + " and " + y.length + " values");
            }
            float[] m = masks.get(e.getKey());
            if (m != null && m.length != x.length) {
                throw new IllegalArgumentException("mask of '" + e.getKey() + "' has " + m.length + " values, the parameter " + x.length);
            }
            for (int i = 0; i < x.length; i++) {
                if (m != null && m[i] == 0f) continue;
                double d = (double) x[i] - y[i];
                ss += d * d;
            }
        }
        return Math.sqrt(ss);
    }
}
