package dev.engram.nn.models;

import java.util.List;

/**
 * A model that marks activations with named taps ({@link dev.engram.nn.Taps}), where neuron masks
 * and example-tied dropout are inserted without editing the model.
 */
public interface HasTaps {
    /** Every tap the forward pass hits, in forward order. */
    List<String> tapNames();
}
