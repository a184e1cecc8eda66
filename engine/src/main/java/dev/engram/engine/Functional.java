package dev.engram.engine;

/**
 * Neural-network ops on tensors: layers call these. Every op is differentiable and is written
 * once over the backend SPI.
 */
public final class Functional {
    private Functional() {}

    /** {@code y = x W^T + b} over the last axis; {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return MatMul.linear(x, weight, bias);
    }

    /** 2-D convolution with symmetric stride, padding and dilation; {@code bias} may be null. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation) {
        return ConvOps.conv2d(x, weight, bias, stride, stride, padding, padding, dilation, dilation);
    }

    /** 2-D convolution with separate vertical/horizontal settings. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW,
                                int dilH, int dilW) {
        return ConvOps.conv2d(x, weight, bias, strideH, strideW, padH, padW, dilH, dilW);
    }

    /**
     * Max pooling of {@code [N, C, H, W]} with a square {@code kernel} window, {@code stride} and {@code padding} (at
     * most half the window; padded cells never win): output {@code [N, C, (H + 2 padding - kernel) / stride + 1, ...]},
     * each window's gradient going to its chosen element (a NaN if it holds one, else the first maximum).
     */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return PoolOps.maxPool2d(x, kernel, kernel, stride, stride, padding, padding);
    }

    /**
     * Average pooling of {@code [N, C, H, W]} with a square window, shaped as {@link #maxPool2d}; padded cells count as
     * zeros and every window divides by {@code kernel * kernel} (PyTorch's default {@code count_include_pad=True}).
     */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return PoolOps.avgPool2d(x, kernel, kernel, stride, stride, padding, padding);
    }

    /** Global max over the spatial axes: {@code [N, C, H, W] -> [N, C, 1, 1]}. */
    public static Tensor globalMaxPool(Tensor x) {
        int[] s = x.shapeRef();
        if (s.length != 4) throw new IllegalArgumentException("global_max_pool: expected [N, C, H, W], got " + Shapes.str(s));
        return PoolOps.maxPool2d(x, s[2], s[3], s[2], s[3], 0, 0);
    }

    /** Adaptive average pooling to {@code outH x outW} (input sizes must be multiples). */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        int[] s = x.shapeRef();
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: output size must be at least 1x1, got " + outH + "x" + outW);
        }
        if (s.length != 4 || s[2] % outH != 0 || s[3] % outW != 0) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: input " + Shapes.str(s) + " is not divisible into "
                    + outH + "x" + outW);
        }
        int kh = s[2] / outH, kw = s[3] / outW;
        return PoolOps.avgPool2d(x, kh, kw, kh, kw, 0, 0);
    }

    /** Batch normalization over axis 1; see {@link NormOps} for the running-statistics semantics. */
    public static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   boolean training, float momentum, float eps) {
        return NormOps.batchNorm(x, gamma, beta, runningMean, runningVar, training, momentum, eps);
    }

    /** Layer normalization over the last axis. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return NormOps.layerNorm(x, x.shapeRef()[x.rank() - 1], gamma, beta, eps);
    }

    /** Softmax of a float32 tensor along {@code axis} (negative counts from the end); same shape as {@code x}. */
    public static Tensor softmax(Tensor x, int axis) {
        return LossOps.softmax(x, axis, false);
    }

    /**
     * Log-softmax along {@code axis}, computed as {@code (x - max) - log(sum(exp(x - max)))} in one kernel, so it stays
     * finite where {@code log(softmax(x))} would underflow.
     */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return LossOps.softmax(x, axis, true);
    }

    /** Per-example cross-entropy losses {@code [B]}. */
    public static Tensor crossEntropyPerExample(Tensor logits, Tensor labels) {
        return LossOps.crossEntropy(logits, labels);
    }

    /** Mean cross-entropy over the batch. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        Tensor l = LossOps.crossEntropy(logits, labels);
        return l.sum().mul(1f / l.shapeRef()[0]);
    }

    /** Channel / neuron mask: {@code m} of shape {@code [C]} or {@code [B, C]}. */
    public static Tensor mask(Tensor x, Tensor m) {
        return MaskOps.mask(x, m);
    }

    /** Inverted dropout with counter-based random bits. */
    public static Tensor dropout(Tensor x, float p, long seed, long counterOffset) {
        return MaskOps.dropout(x, p, seed, counterOffset);
    }

    /** Concatenates along {@code axis}. */
    public static Tensor cat(int axis, Tensor... tensors) {
        return ShapeOps.cat(axis, tensors);
    }

    /** {@link Tensor#relu()}: {@code x <= 0 ? +0 : x}, NaN propagating. */
    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** {@link Tensor#gelu()}: the exact, erf-based GELU. */
    public static Tensor gelu(Tensor x) {
        return x.gelu();
    }
}
