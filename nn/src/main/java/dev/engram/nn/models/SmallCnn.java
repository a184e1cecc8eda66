package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.MaxPool2d;
import dev.engram.nn.layers.ReLU;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * The small MNIST CNN of the side-by-side benchmark (421,642 parameters for 1x28x28, 10 classes):
 * <pre>
 * 0 Conv2d(C, 32, 3, pad 1) + bias   1 ReLU   2 MaxPool2d(2)
 * 3 Conv2d(32, 64, 3, pad 1) + bias  4 ReLU   5 MaxPool2d(2)
 * 6 Flatten   7 Linear(64*(S/4)^2, 128)   8 ReLU   9 Linear(128, classes)
 * </pre>
 * Taps: {@code 1.out}, {@code 4.out} (conv ReLUs, [B, 32|64, H, W]) and {@code 8.out} (hidden fc
 * ReLU, [B, 128]). Layer groups: {@code conv1}, {@code conv2}, {@code fc1}, {@code fc2}.
 */
public class SmallCnn extends Sequential implements HasLayerGroups, HasTaps {
    private static final List<String> TAPS = List.of("1.out", "4.out", "8.out");

    private final HiddenDropout dropout;

    /** @param imageSize square input side, a multiple of 4 (28 for MNIST) */
    public SmallCnn(int inChannels, int imageSize, int numClasses, long seed) {
        this(inChannels, imageSize, numClasses, seed, 0f);
    }

    /**
     * With standard dropout of probability {@code dropout} after every ReLU (after its tap), as a regularizer against
     * label noise (Arpit et al., ICML 2017, §5; docs/methods.md §10.5). The dropout layers hold no parameters, so
     * state-dict names, taps and layer groups are those of the model without dropout.
     */
    public SmallCnn(int inChannels, int imageSize, int numClasses, long seed, float dropout) {
        if (imageSize <= 0 || imageSize % 4 != 0) {
            throw new IllegalArgumentException("SmallCnn: image size must be a positive multiple of 4, got " + imageSize);
        }
        this.dropout = new HiddenDropout(dropout, seed);
        Seeds seeds = Seeds.of(seed);
        int side = imageSize / 4;
        add(new Conv2d(inChannels, 32, 3, 1, 1, true, seeds));
        add(new ReLU());
        add(new MaxPool2d(2));
        add(new Conv2d(32, 64, 3, 1, 1, true, seeds));
        add(new ReLU());
        add(new MaxPool2d(2));
        add(new Flatten());
        add(new Linear(64 * side * side, 128, true, seeds));
        add(new ReLU());
        add(new Linear(128, numClasses, true, seeds));
    }

    /** MNIST: 1x28x28, 10 classes. */
    public SmallCnn(long seed) {
        this(1, 28, 10, seed);
    }

    @Override
    public Tensor forward(Tensor x) {
        return dropout.forward(List.copyOf(children().values()), 0, x, this::tap, isTraining());
    }

    /** Runs the layers after the ReLU of tap {@code tap} ({@code i.out}) on {@code activation}. */
    @Override
    public Tensor forwardFrom(String tap, Tensor activation) {
        return dropout.forwardFrom(List.copyOf(children().values()), TAPS, tap, activation, this::tap, isTraining());
    }

    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        g.put("conv1", List.of("0.weight", "0.bias"));
        g.put("conv2", List.of("3.weight", "3.bias"));
        g.put("fc1", List.of("7.weight", "7.bias"));
        g.put("fc2", List.of("9.weight", "9.bias"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        return TAPS;
    }

    /** The dropout probability after ReLUs (0 = none). */
    public float dropoutProbability() {
        return dropout.p();
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
