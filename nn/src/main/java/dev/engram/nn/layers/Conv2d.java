package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Init;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.init.WeightInit;

/**
 * 2-D convolution over {@code [N, C, H, W]} with a square kernel, as PyTorch's {@code nn.Conv2d}
 * (groups 1): parameters {@code weight [out, in, k, k]} and optional {@code bias [out]}, both
 * initialized {@code U(±1/sqrt(in*k*k))}.
 */
public class Conv2d extends Module {
    private final int inChannels, outChannels, kernel, stride, padding, dilation;
    private final Tensor weight, bias;

    /** Full form with PyTorch's default weight init; weight then bias take the next seeds of {@code seeds}. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, boolean bias, Seeds seeds) {
        this(inChannels, outChannels, kernel, stride, padding, dilation, bias, WeightInit.PYTORCH_DEFAULT, seeds);
    }

    /** Full form with a chosen weight initializer (the bias, if any, keeps PyTorch's default). */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, boolean bias,
                  WeightInit weightInit, Seeds seeds) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || dilation <= 0) {
            throw new IllegalArgumentException("Conv2d: invalid geometry in=" + inChannels + " out=" + outChannels + " kernel="
                    + kernel + " stride=" + stride + " padding=" + padding + " dilation=" + dilation);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        int fanIn = inChannels * kernel * kernel;
        Tensor w = weightInit.create(seeds.next(), outChannels, inChannels, kernel, kernel);
        if (w.rank() != 4 || w.dim(0) != outChannels || w.dim(1) != inChannels || w.dim(2) != kernel || w.dim(3) != kernel) {
            throw new IllegalArgumentException("Conv2d: weight initializer returned " + w.describe() + ", expected ["
                    + outChannels + ", " + inChannels + ", " + kernel + ", " + kernel + "]");
        }
        this.weight = registerParameter("weight", w);
        this.bias = bias ? registerParameter("bias", Init.defaultUniform(seeds.next(), fanIn, outChannels)) : null;
    }

    /** Convolution without dilation. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias, Seeds seeds) {
        this(inChannels, outChannels, kernel, stride, padding, 1, bias, seeds);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2d(x, weight, bias, stride, padding, dilation);
    }

    /** The weight {@code [out, in, k, k]} (parameter {@code weight}). */
    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }

    /** Input channels (the weight's second dimension). */
    public int inChannels() {
        return inChannels;
    }

    /** Output channels (the weight's first dimension). */
    public int outChannels() {
        return outChannels;
    }

    /** Kernel height and width. */
    public int kernel() {
        return kernel;
    }

    /** Stride along both spatial axes. */
    public int stride() {
        return stride;
    }

    /** Zero padding on each side of both spatial axes. */
    public int padding() {
        return padding;
    }

    /** Dilation along both spatial axes (1 = none). */
    public int dilation() {
        return dilation;
    }
}
