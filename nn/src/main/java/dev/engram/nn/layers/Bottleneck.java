package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.init.WeightInit;

/**
 * torchvision's ResNet bottleneck (v1.5: the stride sits on the 3x3 conv): {@code conv1} 1x1 →
 * {@code bn1} → ReLU → {@code conv2} 3x3/stride → {@code bn2} → ReLU → {@code conv3} 1x1 (to
 * {@code 4*width}) → {@code bn3}, plus the identity or {@code downsample = Sequential(conv 1x1/stride,
 * BN)}, then ReLU. Convs have no bias. Tap: {@code out} (after the final ReLU).
 */
public class Bottleneck extends Module {
    /** Output channels per {@code width}. */
    public static final int EXPANSION = 4;

    private final Conv2d conv1, conv2, conv3;
    private final BatchNorm2d bn1, bn2, bn3;
    private final Sequential downsample;

    /** Convs initialized with {@code convInit} (torchvision uses {@link WeightInit#KAIMING_NORMAL_FAN_OUT}). */
    public Bottleneck(int inChannels, int width, int stride, WeightInit convInit, Seeds seeds) {
        int out = width * EXPANSION;
        conv1 = registerModule("conv1", new Conv2d(inChannels, width, 1, 1, 0, 1, false, convInit, seeds));
        bn1 = registerModule("bn1", new BatchNorm2d(width));
        conv2 = registerModule("conv2", new Conv2d(width, width, 3, stride, 1, 1, false, convInit, seeds));
        bn2 = registerModule("bn2", new BatchNorm2d(width));
        conv3 = registerModule("conv3", new Conv2d(width, out, 1, 1, 0, 1, false, convInit, seeds));
        bn3 = registerModule("bn3", new BatchNorm2d(out));
        registerModule("relu", new ReLU());
        downsample = stride != 1 || inChannels != out
                ? registerModule("downsample", new Sequential(new Conv2d(inChannels, out, 1, stride, 0, 1, false, convInit, seeds), new BatchNorm2d(out)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = bn1.forward(conv1.forward(x)).relu();
        y = bn2.forward(conv2.forward(y)).relu();
        y = bn3.forward(conv3.forward(y));
        Tensor identity = downsample == null ? x : downsample.forward(x);
        return tap("out", y.add(identity).relu());
    }

    /** The projection shortcut, or null for the identity. */
    public Sequential downsample() {
        return downsample;
    }
}
