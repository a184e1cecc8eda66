package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Multiplies by a constant (ResNet-9 scales its logits by 0.2; the reference code calls it {@code Mul}). */
public class Scale extends Module {
    private final float factor;

    /** Multiplies by {@code factor}; a NaN or infinite factor throws {@link IllegalArgumentException}. */
    public Scale(float factor) {
        if (!Float.isFinite(factor)) throw new IllegalArgumentException("Scale: factor must be finite, got " + factor);
        this.factor = factor;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.mul(factor);
    }

    /** The constant factor. */
    public float factor() {
        return factor;
    }
}
