package dev.engram.nn.models;

import java.util.List;

/**
 * A model that marks activations with named taps ({@link dev.engram.nn.Taps}), where neuron masks
 * and example-tied dropout are inserted without editing the model. Part of the
 * {@linkplain ModelContract model contract}.
 *
 * <p>To add a tap, route an activation through {@code Module.tap(name, x)} in {@code forward}
 * (usually right after a non-linearity): {@code x = tap("block1.relu", relu.forward(x));}. With no
 * interceptor active the call returns {@code x} unchanged and costs nothing. Neuron-level flipping
 * zeroes units of a tap's activation ({@code [B, C, H, W]}: channels; {@code [B, F]}: features;
 * {@code [B, T, D]}: the last dimension), example-tied dropout multiplies it by a per-example mask.
 */
public interface HasTaps {
    /**
     * Every tap the forward pass hits, in forward order, each once. {@link ModelContract#check}
     * verifies the list against a forward pass.
     *
     * @return the tap names
     */
    List<String> tapNames();
}
