package dev.engram.nn.models;

import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.ConvBn;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.MaxPool2d;
import dev.engram.nn.layers.Residual;
import dev.engram.nn.layers.Scale;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * David Page's DAWNBench ResNet-9 for 3x32x32 CIFAR-10, as in the side-by-side benchmark against
 * DJL (not the paper's model — see {@link ResNet9}); all convs 3x3/1/1 without bias:
 * <pre>
 * 0 conv_bn(C, 64)  1 conv_bn(64, 128)  2 MaxPool2d(2)  3 Residual(conv_bn 128, conv_bn 128)
 * 4 conv_bn(128, 256)  5 MaxPool2d(2)  6 conv_bn(256, 512)  7 MaxPool2d(2)
 * 8 Residual(conv_bn 512, conv_bn 512)  9 MaxPool2d(4)  10 Flatten  11 Linear(512, classes, no bias)
 * 12 Scale(0.125)
 * </pre>
 * 6,573,120 parameters + 4,480 BN running-statistic elements = 6,577,600 for 3 channels (the
 * {@code num_batches_tracked} counters not counted). Needs 32x32 input. Taps: every conv_bn output
 * and residual sum, as in {@link ResNet9}. Layer groups: the eight conv_bn blocks and the linear layer.
 */
public class ResNet9Dawn extends Sequential implements HasLayerGroups, HasTaps {
    private static final List<String> TAPS = List.of("0.out", "1.out", "3.module.0.out", "3.module.1.out", "3.out", "4.out", "6.out",
            "8.module.0.out", "8.module.1.out", "8.out");

    /**
     * The network for {@code inChannels}-channel 32x32 images and {@code numClasses} classes, initialized from the seed
     * stream of {@code seed}.
     */
    public ResNet9Dawn(int inChannels, int numClasses, long seed) {
        Seeds seeds = Seeds.of(seed);
        add(new ConvBn(inChannels, 64, seeds));
        add(new ConvBn(64, 128, seeds));
        add(new MaxPool2d(2));
        add(new Residual(new Sequential(new ConvBn(128, 128, seeds), new ConvBn(128, 128, seeds))));
        add(new ConvBn(128, 256, seeds));
        add(new MaxPool2d(2));
        add(new ConvBn(256, 512, seeds));
        add(new MaxPool2d(2));
        add(new Residual(new Sequential(new ConvBn(512, 512, seeds), new ConvBn(512, 512, seeds))));
        add(new MaxPool2d(4));
        add(new Flatten());
        add(new Linear(512, numClasses, false, seeds));
        add(new Scale(0.125f));
    }

    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        String[][] blocks = {{"prep", "0"}, {"layer1.conv", "1"}, {"layer1.res.0", "3.module.0"}, {"layer1.res.1", "3.module.1"},
                {"layer2.conv", "4"}, {"layer3.conv", "6"}, {"layer3.res.0", "8.module.0"}, {"layer3.res.1", "8.module.1"}};
        for (String[] b : blocks) g.put(b[0], List.of(b[1] + ".0.weight", b[1] + ".1.weight", b[1] + ".1.bias"));
        g.put("linear", List.of("11.weight"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        return TAPS;
    }
}
