package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** {@code max(x, 0)} element-wise. */
public class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
