package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Init;
import dev.engram.nn.init.Seeds;

/**
 * Fully connected layer {@code y = x W^T + b} over the last axis, as PyTorch's {@code nn.Linear}:
 * parameters {@code weight [out, in]} and optional {@code bias [out]}, both initialized
 * {@code U(±1/sqrt(in))}.
 */
public class Linear extends Module {
    private final int inFeatures, outFeatures;
    private final Tensor weight, bias;

    /** A layer whose weight (then bias) seeds are the next ones of {@code seeds}. */
    public Linear(int inFeatures, int outFeatures, boolean bias, Seeds seeds) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear: feature counts must be positive, got in=" + inFeatures + " out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Init.defaultUniform(seeds.next(), inFeatures, outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", Init.defaultUniform(seeds.next(), inFeatures, outFeatures)) : null;
    }

    /** A layer initialized from its own seed. */
    public Linear(int inFeatures, int outFeatures, boolean bias, long seed) {
        this(inFeatures, outFeatures, bias, Seeds.of(seed));
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight, bias);
    }

    /** The weight {@code [out, in]} (parameter {@code weight}). */
    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }

    /** Input features (the weight's second dimension). */
    public int inFeatures() {
        return inFeatures;
    }

    /** Output features (the weight's first dimension). */
    public int outFeatures() {
        return outFeatures;
    }
}
