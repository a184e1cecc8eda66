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

    /**
     * The rest of the forward pass from tap {@code tap} on, given the activation that reached it: the tap's
     * interceptors apply to {@code activation} first, as they would inside {@code forward}, then the layers after
     * it run. A caller that makes many passes over the same inputs differing only at and after this tap (masks on
     * its units or later ones) can so compute the layers before it once. Only for a tap that every path to the
     * output goes through, in evaluation mode. {@link ModelContract#check} verifies that it gives the bits of
     * {@code forward} for the first tap.
     *
     * @param tap        one of {@link #tapNames()}
     * @param activation what reached the tap in a plain forward pass
     * @return the logits, or {@code null} (the default) where the model cannot start at this tap
     * @throws IllegalArgumentException if {@code tap} is not one of {@link #tapNames()} (implementations)
     */
    default dev.engram.engine.Tensor forwardFrom(String tap, dev.engram.engine.Tensor activation) {
        return null;
    }
}
