package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Flattens every axis after the batch axis: {@code [N, ...] -> [N, prod(...)]}. */
public class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 1) throw new IllegalArgumentException("Flatten '" + path() + "': input needs a batch axis, got a scalar");
        return x.rank() == 2 ? x : x.flatten(1);
    }
}
