package dev.engram.engine.spi;

/**
 * Shapes of a 2-D pooling window over an NCHW tensor.
 *
 * @param n batch size
 * @param c channels
 * @param h input height
 * @param w input width
 * @param kh window height
 * @param kw window width
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padH padding top and bottom (padded cells never win a max and count as zero in an average
 *             that divides by the full window, as PyTorch's default count_include_pad)
 * @param padW padding left and right
 */
public record PoolGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {
    /**
     * Validates the geometry: a negative batch, a non-positive size, window or stride, a negative padding or one above
     * half the window, or a window larger than the padded input throws {@link IllegalArgumentException}.
     */
    public PoolGeometry {
        // the messages are built from the parameters: the record's fields are not assigned yet here
        String geometry = "batch " + n + ", input " + c + "x" + h + "x" + w + ", window " + kh + "x" + kw + ", stride " + strideH
                + "x" + strideW + ", padding " + padH + "x" + padW;
        if (n < 0 || c <= 0 || h <= 0 || w <= 0 || kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0
                || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("pool2d: bad geometry: " + geometry);
        }
        if (padH * 2 > kh || padW * 2 > kw) {
            throw new IllegalArgumentException("pool2d: padding must be at most half the window, got " + geometry);
        }
        if (h + 2 * padH < kh || w + 2 * padW < kw) {
            throw new IllegalArgumentException("pool2d: window " + kh + "x" + kw + " larger than input " + h + "x" + w);
        }
    }

    /** Output height: {@code (h + 2 padH - kh) / strideH + 1}. */
    public int outH() {
        return (h + 2 * padH - kh) / strideH + 1;
    }

    /** Output width: {@code (w + 2 padW - kw) / strideW + 1}. */
    public int outW() {
        return (w + 2 * padW - kw) / strideW + 1;
    }
}
