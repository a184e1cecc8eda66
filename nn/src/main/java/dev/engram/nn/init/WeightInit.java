package dev.engram.nn.init;

import dev.engram.engine.Tensor;

/** Creates a weight tensor of a given shape from a seed. */
@FunctionalInterface
public interface WeightInit {
    /** PyTorch's default for Linear/Conv weights: {@code U(±1/sqrt(fan_in))}. */
    WeightInit PYTORCH_DEFAULT = (seed, shape) -> Init.defaultUniform(seed, Init.fanIn(shape), shape);
    /** torchvision's ResNet conv init: He normal with fan-out. */
    WeightInit KAIMING_NORMAL_FAN_OUT = Init::kaimingNormalFanOut;

    Tensor create(long seed, int... shape);
}
