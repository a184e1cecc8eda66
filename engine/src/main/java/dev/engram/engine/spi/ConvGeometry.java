package dev.engram.engine.spi;

/**
 * Shapes of a 2-D convolution (NCHW input, OIHW weight, groups = 1).
 *
 * @param n batch size
 * @param c input channels
 * @param h input height
 * @param w input width
 * @param k output channels
 * @param r kernel height
 * @param s kernel width
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padH zero padding top and bottom
 * @param padW zero padding left and right
 * @param dilH vertical dilation
 * @param dilW horizontal dilation
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int r, int s,
                           int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
    /**
     * Validates the geometry: a negative batch, a non-positive size, stride or dilation, a negative padding, or a
     * (dilated) kernel larger than the padded input throws {@link IllegalArgumentException}.
     */
    public ConvGeometry {
        // the messages are built from the parameters: the record's fields are not assigned yet here
        if (n < 0 || c <= 0 || h <= 0 || w <= 0 || k <= 0 || r <= 0 || s <= 0) {
            throw new IllegalArgumentException("conv2d: non-positive dimension: batch " + n + ", input " + c + "x" + h + "x" + w
                    + ", " + k + " filters of " + r + "x" + s);
        }
        if (strideH <= 0 || strideW <= 0 || dilH <= 0 || dilW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("conv2d: bad stride/padding/dilation: stride " + strideH + "x" + strideW
                    + ", padding " + padH + "x" + padW + ", dilation " + dilH + "x" + dilW
                    + " (strides and dilations must be >= 1, paddings >= 0)");
        }
        int oh = (h + 2 * padH - dilH * (r - 1) - 1) / strideH + 1;
        int ow = (w + 2 * padW - dilW * (s - 1) - 1) / strideW + 1;
        if (h + 2 * padH - dilH * (r - 1) - 1 < 0 || w + 2 * padW - dilW * (s - 1) - 1 < 0 || oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("conv2d: kernel " + r + "x" + s + " (dilation " + dilH + "x" + dilW
                    + ") larger than padded input " + (h + 2 * padH) + "x" + (w + 2 * padW));
        }
    }

    /** Output height: {@code (h + 2 padH - dilH (r - 1) - 1) / strideH + 1}. */
    public int outH() {
        return (h + 2 * padH - dilH * (r - 1) - 1) / strideH + 1;
    }

    /** Output width: {@code (w + 2 padW - dilW (s - 1) - 1) / strideW + 1}. */
    public int outW() {
        return (w + 2 * padW - dilW * (s - 1) - 1) / strideW + 1;
    }

    /** Rows of the im2col matrix of one example: c*r*s. */
    public int colRows() {
        return c * r * s;
    }

    /** Columns of the im2col matrix of one example: outH*outW. */
    public int colCols() {
        return outH() * outW();
    }

    /** Same geometry with another batch size. */
    public ConvGeometry withBatch(int batch) {
        return new ConvGeometry(batch, c, h, w, k, r, s, strideH, strideW, padH, padW, dilH, dilW);
    }
}
