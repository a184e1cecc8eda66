package dev.engram.nn.models;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Hand-written training helpers for model tests (the optimizers live elsewhere). */
final class ModelSupport {
    private ModelSupport() {}

    static float loss(Module model, Tensor x, Tensor y) {
        try (Grad g = Grad.disabled()) {
            return Functional.crossEntropy(model.forward(x), y).item();
        }
    }

    /** One plain SGD step {@code p -= lr * grad} on the batch; returns the loss before the step. */
    static float sgdStep(Module model, Tensor x, Tensor y, float lr) {
        model.zeroGrad();
        Tensor loss = Functional.crossEntropy(model.forward(x), y);
        loss.backward();
        try (Grad g = Grad.disabled()) {
            for (var e : model.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                if (p.grad() == null) throw new AssertionError("no gradient reached " + e.getKey());
                p.copyFrom(p.sub(p.grad().mul(lr)));
            }
        }
        return loss.item();
    }

    static long bufferElements(Module m, String suffix) {
        long n = 0;
        for (var e : m.namedBuffers().entrySet()) if (e.getKey().endsWith(suffix)) n += e.getValue().numel();
        return n;
    }
}
