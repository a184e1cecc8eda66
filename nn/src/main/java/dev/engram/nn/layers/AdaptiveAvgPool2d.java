package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Average pooling to a fixed {@code outH x outW} output; the input's spatial sizes must be
 * multiples of the output's (always true for the global {@code 1 x 1} case).
 */
public class AdaptiveAvgPool2d extends Module {
    private final int outH, outW;

    /** Pools to {@code outH x outW}; a non-positive size throws {@link IllegalArgumentException}. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
    }

    /** Square output. */
    public AdaptiveAvgPool2d(int out) {
        this(out, out);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.adaptiveAvgPool2d(x, outH, outW);
    }
}
