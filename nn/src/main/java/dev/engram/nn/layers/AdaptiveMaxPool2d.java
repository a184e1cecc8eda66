package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Max pooling to a square {@code out x out} output. Output 1 is the global max over the spatial
 * axes (ResNet-9's {@code AdaptiveMaxPool2d((1, 1))}); larger outputs need spatial sizes that are
 * equal multiples of {@code out}.
 */
public class AdaptiveMaxPool2d extends Module {
    private final int out;

    /** Pools to {@code out x out} (1: the global max); a non-positive size throws {@link IllegalArgumentException}. */
    public AdaptiveMaxPool2d(int out) {
        if (out <= 0) throw new IllegalArgumentException("AdaptiveMaxPool2d: output size must be positive, got " + out);
        this.out = out;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (out == 1) return Functional.globalMaxPool(x);
        int[] s = x.shape();
        if (s.length != 4 || s[2] % out != 0 || s[3] % out != 0 || s[2] != s[3]) {
            throw new IllegalArgumentException("AdaptiveMaxPool2d(" + out + ") '" + path() + "': input " + java.util.Arrays.toString(s)
                    + " must be [N, C, H, H] with H a multiple of " + out);
        }
        int k = s[2] / out;
        return Functional.maxPool2d(x, k, k, 0);
    }
}
