package dev.engram.datasets;

/**
 * One mini-batch handed out by a {@link DataLoader}.
 *
 * @param x        images as floats, NCHW, length {@code size()*channels*height*width}
 * @param y        labels, one per example
 * @param indices  original example indices (position in the dataset's source file), one per example
 * @param channels channels per image
 * @param height   image height
 * @param width    image width
 */
public record Batch(float[] x, int[] y, int[] indices, int channels, int height, int width) {

    /** Checks that the array lengths agree with the shape. */
    public Batch {
        if (y.length != indices.length || x.length != y.length * channels * height * width) {
            throw new IllegalArgumentException("inconsistent batch: x=" + x.length + " y=" + y.length
                    + " indices=" + indices.length + " shape=" + channels + "x" + height + "x" + width);
        }
    }

    /** Number of examples in the batch. */
    public int size() { return y.length; }

    /** Floats per example ({@code channels*height*width}). */
    public int exampleSize() { return channels * height * width; }
}
