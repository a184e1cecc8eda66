package dev.engram.nn.init;

import dev.engram.engine.Tensor;

/** Creates a weight tensor of a given shape from a seed. */
@FunctionalInterface
public interface WeightInit {
    /** PyTorch's default for Linear/Conv weights: {@code U(±1/sqrt(fan_in))}. */
    WeightInit PYTORCH_DEFAULT = (seed, shape) -> Init.defaultUniform(seed, Init.fanIn(shape), shape);
    /** torchvision's ResNet conv init: He normal with fan-out. */
    WeightInit KAIMING_NORMAL_FAN_OUT = Init::kaimingNormalFanOut;

    /**
     * A new float32 weight of {@code shape} (PyTorch's order, e.g. {@code [out, in, kH, kW]}), a deterministic function
     * of {@code seed} and the shape.
     */
    Tensor create(long seed, int... shape);
}
