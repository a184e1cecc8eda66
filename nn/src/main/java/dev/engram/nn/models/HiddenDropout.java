package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Dropout;

import java.util.HashMap;
import java.util.Map;

/**
 * Standard dropout that a model applies after its hidden activations without registering it as a child module, so
 * that adding it changes no state-dict name or layer index. One {@link Dropout} per position, seeded from the model
 * seed and the position.
 */
final class HiddenDropout {
    private final float p;
    private final long seed;
    private final Map<Integer, Dropout> layers = new HashMap<>();

    HiddenDropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    float p() {
        return p;
    }

    /** {@code x} with dropout applied in training mode (identity in evaluation mode or with p = 0). */
    Tensor apply(int position, Tensor x, boolean training) {
        if (p == 0f || !training) return x;
        Dropout d = layers.computeIfAbsent(position, k -> new Dropout(p, Seeds.mix(seed ^ 0xD80F_0D80L, k)));
        return d.forward(x);
    }
}
