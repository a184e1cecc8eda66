package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Multi-layer perceptron on flattened inputs, e.g. {@code Mlp(seed, 784, 512, 512, 10)}:
 * {@code Sequential(Flatten, Linear, ReLU, Linear, ReLU, Linear)}, so the k-th linear layer is
 * module {@code 2k-1} ({@code 1.weight}, {@code 3.weight}, ...). Taps: {@code <i>.out} after each
 * hidden ReLU {@code i} ({@code 2.out}, {@code 4.out}, ...), shape {@code [B, hidden]}. Layer groups:
 * {@code fc1}, {@code fc2}, ... each {weight, bias}.
 */
public class Mlp extends Sequential implements HasLayerGroups, HasTaps {
    private final int[] sizes;
    private final HiddenDropout dropout;

    /** {@code sizes} = input features, hidden widths..., classes (at least two entries). */
    public Mlp(long seed, int... sizes) {
        this(seed, 0f, sizes);
    }

    /**
     * With standard dropout of probability {@code dropout} after every hidden ReLU (after its tap), as a
     * regularizer against label noise (Arpit et al., ICML 2017, §5; docs/methods.md §10.5). The dropout layers
     * hold no parameters, so state-dict names, taps and layer groups are those of the model without dropout.
     */
    public Mlp(long seed, float dropout, int[] sizes) {
        if (sizes.length < 2) throw new IllegalArgumentException("Mlp: need at least input and output sizes, got " + sizes.length);
        this.sizes = sizes.clone();
        this.dropout = new HiddenDropout(dropout, seed);
        Seeds seeds = Seeds.of(seed);
        add(new Flatten());
        for (int k = 0; k + 1 < sizes.length; k++) {
            add(new Linear(sizes[k], sizes[k + 1], true, seeds));
            if (k + 2 < sizes.length) add(new ReLU());
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return dropout.forward(List.copyOf(children().values()), 0, x, this::tap, isTraining());
    }

    /** Runs the layers after the ReLU of tap {@code tap} ({@code i.out}) on {@code activation}. */
    @Override
    public Tensor forwardFrom(String tap, Tensor activation) {
        return dropout.forwardFrom(List.copyOf(children().values()), tapNames(), tap, activation, this::tap, isTraining());
    }

    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        for (int k = 0; k + 1 < sizes.length; k++) {
            int idx = 2 * k + 1;
            g.put("fc" + (k + 1), List.of(idx + ".weight", idx + ".bias"));
        }
        return g;
    }

    @Override
    public List<String> tapNames() {
        List<String> t = new ArrayList<>();
        for (int k = 0; k + 2 < sizes.length; k++) t.add((2 * k + 2) + ".out");
        return t;
    }

    /** The dropout probability after hidden ReLUs (0 = none). */
    public float dropoutProbability() {
        return dropout.p();
    }

    /** The layer sizes given at construction. */
    public int[] sizes() {
        return sizes.clone();
    }

    /** The positions of the hidden dropout layers' random streams. */
    @Override
    protected java.util.Map<String, Long> ownRandomState() {
        return dropout.randomState();
    }

    /** Restores the hidden dropout layers' stream positions. */
    @Override
    protected void restoreOwnRandomState(java.util.Map<String, Long> state) {
        dropout.restoreRandomState(state);
    }
}
