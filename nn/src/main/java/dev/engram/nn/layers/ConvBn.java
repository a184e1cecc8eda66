package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;

/**
 * ResNet-9's {@code conv_bn} block: {@code Sequential(Conv2d(bias=False), BatchNorm2d, ReLU)}, so its
 * parameters are named {@code 0.weight} (conv), {@code 1.weight}/{@code 1.bias} (BN γ/β) and its
 * buffers {@code 1.running_mean}, {@code 1.running_var}, {@code 1.num_batches_tracked}, relative to
 * the block. Tap: {@code out} (after the ReLU).
 */
public class ConvBn extends Sequential {
    private final Conv2d conv;
    private final BatchNorm2d bn;

    /**
     * A bias-free {@code kernel x kernel} conv with the given stride and padding, BatchNorm2d with PyTorch's defaults,
     * and ReLU; the conv weight takes the next seed of {@code seeds}.
     */
    public ConvBn(int inChannels, int outChannels, int kernel, int stride, int padding, Seeds seeds) {
        conv = new Conv2d(inChannels, outChannels, kernel, stride, padding, false, seeds);
        bn = new BatchNorm2d(outChannels);
        add(conv);
        add(bn);
        add(new ReLU());
    }

    /** 3x3, stride 1, padding 1. */
    public ConvBn(int inChannels, int outChannels, Seeds seeds) {
        this(inChannels, outChannels, 3, 1, 1, seeds);
    }

    @Override
    public Tensor forward(Tensor x) {
        return tap("out", bn.forward(conv.forward(x)).relu());
    }

    /** The convolution (child {@code 0}). */
    public Conv2d conv() {
        return conv;
    }

    /** The batch norm (child {@code 1}). */
    public BatchNorm2d bn() {
        return bn;
    }
}
