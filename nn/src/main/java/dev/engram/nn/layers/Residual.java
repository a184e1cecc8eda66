package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * {@code x + f(x)}, with no activation after the sum (ResNet-9's residual: the branch already ends
 * in a ReLU). The branch is registered as {@code module}, the name the reference code uses, so
 * its parameters are named {@code <path>.module.<...>}. Tap: {@code out} (the sum).
 */
public class Residual extends Module {
    private final Module branch;

    /** {@code x + branch(x)}, the branch registered as {@code module}. */
    public Residual(Module branch) {
        this.branch = registerModule("module", branch);
    }

    @Override
    public Tensor forward(Tensor x) {
        return tap("out", x.add(branch.forward(x)));
    }

    /** The residual branch {@code f}. */
    public Module branch() {
        return branch;
    }
}
