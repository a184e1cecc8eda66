package dev.engram.nn.optim;

import dev.engram.engine.DType;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weight masks (pruning) around any optimizer: a 0/1 mask per masked parameter, applied to the gradients before the
 * base optimizer steps (so momentum and moment estimates of a pruned weight stay zero) and to the weights after every
 * step, so that a pruned weight is exactly zero after every update whatever the update rule (weight decay, momentum
 * carried over from an earlier state, SAM's perturbation). Call {@link #applyToWeights()} once before training to zero
 * the pruned weights of the starting point. Parameters without a mask are updated by the base optimizer unchanged.
 *
 * <p>The state (momentum, moments) is the base optimizer's; the learning rate set here is the base's.
 */
public final class MaskedOptimizer extends DelegatingOptimizer {
    private final Map<String, Tensor> masks;

    /**
     * @param base  the optimizer that takes the steps
     * @param masks mask per parameter name of {@code base} (float32, the parameter's shape, every value 0 or 1); the
     *              masks are copied
     * @throws IllegalArgumentException naming a mask without parameter, of another shape, or with a value not 0 or 1
     */
    public MaskedOptimizer(Optimizer base, Map<String, Tensor> masks) {
        super(base);
        if (base instanceof MaskedOptimizer) throw new IllegalArgumentException("MaskedOptimizer: the base optimizer is already masked");
        if (masks == null || masks.isEmpty()) throw new IllegalArgumentException("MaskedOptimizer: no mask given");
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (var e : masks.entrySet()) {
            Tensor p = base.parameters().get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("MaskedOptimizer: mask '" + e.getKey() + "' names no optimized parameter;"
                        + " parameters: " + base.parameters().keySet());
            }
            Tensor m = e.getValue();
            if (m.dtype() != DType.FLOAT32 || !Arrays.equals(m.shape(), p.shape())) {
                throw new IllegalArgumentException("MaskedOptimizer: mask '" + e.getKey() + "' is " + m.describe()
                        + ", the parameter is " + p.describe() + "; a mask must be float32 of the parameter's shape");
            }
            float[] v = m.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                if (v[i] != 0f && v[i] != 1f) {
                    throw new IllegalArgumentException("MaskedOptimizer: mask '" + e.getKey() + "' holds " + v[i]
                            + " at element " + i + "; masks hold only 0 (pruned) and 1 (kept)");
                }
            }
            copy.put(e.getKey(), Tensor.of(p.device(), v, p.shape()).retain());
        }
        this.masks = Collections.unmodifiableMap(copy);
    }

    /** The masks by parameter name (live tensors; do not change them). */
    public Map<String, Tensor> masks() {
        return masks;
    }

    /** Zeroes the pruned weights: {@code w = w * mask} for every masked parameter. */
    public void applyToWeights() {
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled()) {
            for (var e : masks.entrySet()) {
                Tensor p = parameters().get(e.getKey());
                p.copyFrom(p.mul(e.getValue()));
            }
        }
    }

    /** Zeroes the gradients of the pruned weights. */
    private void maskGradients() {
        try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled()) {
            for (var e : masks.entrySet()) {
                Tensor grad = parameters().get(e.getKey()).grad();
                if (grad != null) grad.copyFrom(grad.mul(e.getValue()));
            }
        }
    }

    /** Masks the gradients, steps the base optimizer and masks the weights. */
    @Override
    public void step() {
        maskGradients();
        base().step();
        applyToWeights();
    }

    /**
     * As {@link #step()}, for a base optimizer that recomputes gradients (SAM): the recomputed gradients are masked
     * too.
     */
    @Override
    public void step(Runnable recomputeGradients) {
        maskGradients();
        base().step(() -> {
            recomputeGradients.run();
            maskGradients();
        });
        applyToWeights();
    }
}
