package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.init.WeightInit;
import dev.engram.nn.layers.AdaptiveAvgPool2d;
import dev.engram.nn.layers.BatchNorm2d;
import dev.engram.nn.layers.Bottleneck;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.MaxPool2d;
import dev.engram.nn.layers.ReLU;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * torchvision's ResNet-50 with a {@code 2048 → classes} head (the paper's {@code ResNet50}):
 * {@code conv1} 7x7/2 (no bias) → {@code bn1} → ReLU → {@code maxpool} 3x3/2/1 → {@code layer1..layer4}
 * of [3, 4, 6, 3] {@link Bottleneck}s (widths 64, 128, 256, 512; stride 2 from layer2 on) →
 * global average pool → {@code fc}. State-dict names as torchvision ({@code layer2.0.conv1.weight},
 * {@code layer1.0.downsample.0.weight}, {@code fc.bias}). 23,528,522 parameters for 3 input channels
 * and 10 classes.
 *
 * <p>Initialization as torchvision: conv weights He-normal with fan-out, BN 1/0, and the replaced
 * {@code fc} PyTorch's default uniform. With {@code cifarStem} the stem is a 3x3/1/1 conv without
 * the max-pool (the usual CIFAR adaptation; not what the paper used). Taps: {@code relu.out}
 * (stem) and {@code layerS.B.out} after every bottleneck.
 */
public class ResNet50 extends Module implements HasLayerGroups, HasTaps {
    private static final int[] BLOCKS = {3, 4, 6, 3};
    private static final int[] WIDTHS = {64, 128, 256, 512};

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final MaxPool2d maxpool;
    private final Sequential[] layers = new Sequential[4];
    private final AdaptiveAvgPool2d avgpool;
    private final Linear fc;
    private final boolean cifarStem;

    /** The paper's model (ImageNet stem). */
    public ResNet50(int inChannels, int numClasses, long seed) {
        this(inChannels, numClasses, false, seed);
    }

    /**
     * ResNet-50 for {@code inChannels}-channel images and {@code numClasses} classes, initialized from the seed stream
     * of {@code seed}; {@code cifarStem} replaces the 7x7/2 stem and its max-pool by a 3x3/1/1 conv.
     */
    public ResNet50(int inChannels, int numClasses, boolean cifarStem, long seed) {
        this.cifarStem = cifarStem;
        Seeds seeds = Seeds.of(seed);
        WeightInit he = WeightInit.KAIMING_NORMAL_FAN_OUT;
        conv1 = registerModule("conv1", cifarStem ? new Conv2d(inChannels, 64, 3, 1, 1, 1, false, he, seeds)
                : new Conv2d(inChannels, 64, 7, 2, 3, 1, false, he, seeds));
        bn1 = registerModule("bn1", new BatchNorm2d(64));
        registerModule("relu", new ReLU());
        maxpool = cifarStem ? null : registerModule("maxpool", new MaxPool2d(3, 2, 1));
        int in = 64;
        for (int s = 0; s < 4; s++) {
            Sequential stage = new Sequential();
            for (int b = 0; b < BLOCKS[s]; b++) {
                stage.add(new Bottleneck(in, WIDTHS[s], b == 0 && s > 0 ? 2 : 1, he, seeds));
                in = WIDTHS[s] * Bottleneck.EXPANSION;
            }
            layers[s] = registerModule("layer" + (s + 1), stage);
        }
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1));
        fc = registerModule("fc", new Linear(in, numClasses, true, seeds));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = tap("relu.out", bn1.forward(conv1.forward(x)).relu());
        if (maxpool != null) y = maxpool.forward(y);
        for (Sequential stage : layers) y = stage.forward(y);
        y = avgpool.forward(y).flatten(1);
        return fc.forward(y);
    }

    /** {@code stem} (conv1 + bn1), {@code layer1..layer4} (all their parameters) and {@code fc}. */
    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        g.put("stem", List.of("conv1.weight", "bn1.weight", "bn1.bias"));
        for (int s = 1; s <= 4; s++) {
            List<String> names = new ArrayList<>();
            String prefix = "layer" + s + ".";
            for (String n : namedParameters().keySet()) if (n.startsWith(prefix)) names.add(n);
            g.put("layer" + s, List.copyOf(names));
        }
        g.put("fc", List.of("fc.weight", "fc.bias"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        List<String> t = new ArrayList<>();
        t.add("relu.out");
        for (int s = 0; s < 4; s++) for (int b = 0; b < BLOCKS[s]; b++) t.add("layer" + (s + 1) + "." + b + ".out");
        return t;
    }

    /** Whether the stem is the CIFAR one (3x3/1/1 conv, no max-pool) rather than torchvision's. */
    public boolean cifarStem() {
        return cifarStem;
    }
}
