package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Gaussian error linear unit {@code x * Phi(x)} (the exact erf form, PyTorch's default). */
public class GELU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.gelu();
    }
}
