package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Layer normalization over the last axis, as PyTorch's {@code nn.LayerNorm(dim)}: parameters
 * {@code weight} (init 1) and {@code bias} (init 0), eps 1e-5 by default.
 */
public class LayerNorm extends Module {
    private final int dim;
    private final float eps;
    private final Tensor weight, bias;

    /**
     * Normalizes a last axis of size {@code dim}, with {@code eps} added to the variance; a non-positive dim or eps
     * throws {@link IllegalArgumentException}.
     */
    public LayerNorm(int dim, float eps) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
        this.dim = dim;
        this.eps = eps;
        this.weight = registerParameter("weight", Tensor.ones(dim));
        this.bias = registerParameter("bias", Tensor.zeros(dim));
    }

    /** eps 1e-5. */
    public LayerNorm(int dim) {
        this(dim, 1e-5f);
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        if (s.length == 0 || s[s.length - 1] != dim) {
            throw new IllegalArgumentException("LayerNorm(" + dim + ") '" + path() + "': last axis of input "
                    + java.util.Arrays.toString(s) + " must be " + dim);
        }
        return Functional.layerNorm(x, weight, bias, eps);
    }

    /** The scale {@code [dim]} (parameter {@code weight}). */
    public Tensor weight() {
        return weight;
    }

    /** The shift {@code [dim]} (parameter {@code bias}). */
    public Tensor bias() {
        return bias;
    }

    /** Size of the normalized last axis. */
    public int dim() {
        return dim;
    }
}
