package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Returns its input. */
public class Identity extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x;
    }
}
