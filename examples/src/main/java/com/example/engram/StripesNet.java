package com.example.engram;

import dev.engram.engine.Tensor;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.HasTaps;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * A user-defined model meeting Engram's model contract (docs/model-contract.md): a 3x3 convolution, a ReLU (tap
 * {@code conv.relu}), a hidden linear layer, a ReLU (tap {@code fc1.relu}) and the classifier. Layer groups
 * {@code conv}, {@code fc1}, {@code fc2}. The {@code (channels, imageSize, classes, seed)} constructor makes it usable
 * as {@code --model class:com.example.engram.StripesNet} too.
 *
 * <p>{@code dev.engram.nn.Module} is written out in full: under {@code import dev.engram.nn.*} the simple name
 * {@code Module} would be ambiguous with {@code java.lang.Module}.
 */
public class StripesNet extends dev.engram.nn.Module implements HasLayerGroups, HasTaps {
    private final Conv2d conv;
    private final Linear fc1, fc2;
    private final ReLU relu = new ReLU();

    /**
     * A new network with weights drawn from {@code seed}.
     *
     * @param channels  input channels
     * @param imageSize square input side
     * @param classes   number of classes
     * @param seed      initialisation seed
     */
    public StripesNet(int channels, int imageSize, int classes, long seed) {
        Seeds s = Seeds.of(seed);
        conv = registerModule("conv", new Conv2d(channels, 4, 3, 1, 1, true, s));
        fc1 = registerModule("fc1", new Linear(4 * imageSize * imageSize, 32, true, s));
        fc2 = registerModule("fc2", new Linear(32, classes, true, s));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = tap("conv.relu", relu.forward(conv.forward(x)));
        h = tap("fc1.relu", relu.forward(fc1.forward(h.reshape(h.shape()[0], -1))));
        return fc2.forward(h);
    }

    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        g.put("conv", List.of("conv.weight", "conv.bias"));
        g.put("fc1", List.of("fc1.weight", "fc1.bias"));
        g.put("fc2", List.of("fc2.weight", "fc2.bias"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        return List.of("conv.relu", "fc1.relu");
    }
}
