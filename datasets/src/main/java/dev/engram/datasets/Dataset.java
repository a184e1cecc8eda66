package dev.engram.datasets;

import java.util.Objects;

/**
 * Immutable in-memory image classification dataset. Pixels are kept as uint8 bytes, NCHW per example (the built-in
 * datasets, image folders, uint8 arrays), or as float32 values (float arrays, see {@link #ofFloats}); labels as
 * ints. A byte pixel {@code p} stands for the value {@code p / 255}; a float value is used as it is, so both kinds
 * meet the same {@link Normalization} ({@code (value - mean) / std}). Example {@code i} of a freshly read dataset is the {@code i}-th record of the source file, and every view
 * derived from it ({@link #subset}, {@link #withLabels}) remembers that position as {@link #originalIndex(int)} so
 * per-example bookkeeping (noise masks, example-tied masks) stays keyed on the original order.
 *
 * <p>Views share the pixel array; nothing here ever mutates it.
 */
public final class Dataset {
    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;
    private final byte[] pixels;      // shared storage, row r at r*C*H*W (null for float data)
    private final float[] values;     // shared float storage, row r at r*C*H*W (null for byte data)
    private final int[] rows;         // storage row of example i (null = identity)
    private final int[] labels;       // label of example i
    private final int[] original;     // original index of example i (null = identity)

    /**
     * Creates a dataset over {@code pixels} (uint8, NCHW, example i at {@code i*C*H*W}). The arrays are used as-is
     * (not copied): callers hand over ownership.
     */
    public Dataset(String name, int channels, int height, int width, int numClasses, byte[] pixels, int[] labels) {
        this(name, channels, height, width, numClasses, java.util.Objects.requireNonNull(pixels), null, null, labels,
                null);
        if ((long) labels.length * channels * height * width != pixels.length) {
            throw new IllegalArgumentException("pixel array has " + pixels.length + " bytes, expected "
                    + labels.length + "x" + channels + "x" + height + "x" + width);
        }
    }

    /**
     * A dataset of float32 values (NCHW, example i at {@code i*C*H*W}), used as they are: the model sees
     * {@code (value - mean[c]) / std[c]} of the {@link Normalization} in use. The arrays are used as-is (not copied).
     *
     * @throws IllegalArgumentException for a length mismatch or a value that is not finite
     */
    public static Dataset ofFloats(String name, int channels, int height, int width, int numClasses, float[] values,
                                   int[] labels) {
        if ((long) labels.length * channels * height * width != values.length) {
            throw new IllegalArgumentException("value array has " + values.length + " floats, expected "
                    + labels.length + "x" + channels + "x" + height + "x" + width);
        }
        for (int k = 0; k < values.length; k++) {
            if (!Float.isFinite(values[k])) {
                throw new IllegalArgumentException("value " + values[k] + " at example " + k / Math.max(1,
                        channels * height * width) + " is not finite");
            }
        }
        return new Dataset(name, channels, height, width, numClasses, null, values, null, labels, null);
    }

    private Dataset(String name, int c, int h, int w, int numClasses, byte[] pixels, float[] values, int[] rows,
                    int[] labels, int[] original) {
        if (c <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("bad shape " + c + "x" + h + "x" + w);
        if (numClasses <= 0) throw new IllegalArgumentException("numClasses must be > 0");
        this.name = Objects.requireNonNull(name);
        this.channels = c;
        this.height = h;
        this.width = w;
        this.numClasses = numClasses;
        this.pixels = pixels;
        this.values = values;
        this.rows = rows;
        this.labels = labels;
        this.original = original;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " of example " + i + " outside [0,"
                        + numClasses + ")");
            }
        }
    }

    /** Dataset name, e.g. {@code "mnist-train"}. */
    public String name() { return name; }

    /** Number of examples. */
    public int size() { return labels.length; }

    /** Channels per image. */
    public int channels() { return channels; }

    /** Image height. */
    public int height() { return height; }

    /** Image width. */
    public int width() { return width; }

    /** Bytes (= floats) per example: {@code C*H*W}. */
    public int exampleSize() { return channels * height * width; }

    /** Number of classes; labels are in {@code [0, numClasses)}. */
    public int numClasses() { return numClasses; }

    /** Label of example {@code i}. */
    public int label(int i) { return labels[i]; }

    /** Copy of all labels. */
    public int[] labels() { return labels.clone(); }

    /** Position of example {@code i} in the original file order. */
    public int originalIndex(int i) {
        Objects.checkIndex(i, labels.length);
        return original == null ? i : original[i];
    }

    /** Copy of the original indices of all examples. */
    public int[] originalIndices() {
        int[] r = new int[labels.length];
        for (int i = 0; i < r.length; i++) r[i] = originalIndex(i);
        return r;
    }

    /** True when the examples are float32 values ({@link #ofFloats}), false for uint8 pixels. */
    public boolean isFloat() { return values != null; }

    /**
     * Raw uint8 pixel of example {@code i} at (c, y, x), as 0..255.
     *
     * @throws IllegalStateException for a float dataset (use {@link #value})
     */
    public int pixel(int i, int c, int y, int x) {
        if (pixels == null) throw new IllegalStateException(name + " holds float values, not uint8 pixels");
        return pixels[offsetOf(i) + (c * height + y) * width + x] & 0xFF;
    }

    /** Value of example {@code i} at (c, y, x) before normalization: {@code pixel / 255} for uint8 data. */
    public float value(int i, int c, int y, int x) {
        int k = offsetOf(i) + (c * height + y) * width + x;
        return values != null ? values[k] : (pixels[k] & 0xFF) / 255f;
    }

    /**
     * Copies the raw bytes of example {@code i} (NCHW, {@code C*H*W} bytes) into {@code dst} at {@code off}.
     *
     * @throws IllegalStateException for a float dataset
     */
    public void copyImage(int i, byte[] dst, int off) {
        if (pixels == null) throw new IllegalStateException(name + " holds float values, not uint8 pixels");
        System.arraycopy(pixels, offsetOf(i), dst, off, exampleSize());
    }

    /** Writes example {@code i} as normalized floats (CHW) into {@code dst} starting at {@code off}. */
    public void copyImageAsFloat(int i, float[] dst, int off, Normalization norm) {
        int hw = height * width;
        int src = offsetOf(i);
        if (values != null) {
            for (int c = 0; c < channels; c++) {
                int base = src + c * hw, o = off + c * hw;
                for (int k = 0; k < hw; k++) dst[o + k] = norm.applyValue(c, values[base + k]);
            }
            return;
        }
        for (int c = 0; c < channels; c++) {
            float[] lut = new float[256];
            for (int p = 0; p < 256; p++) lut[p] = norm.apply(c, p);
            int base = src + c * hw, o = off + c * hw;
            for (int k = 0; k < hw; k++) dst[o + k] = lut[pixels[base + k] & 0xFF];
        }
    }

    /** Offset of example {@code i} in the shared storage (package-private, used by loaders). */
    int offsetOf(int i) {
        Objects.checkIndex(i, labels.length);
        return (rows == null ? i : rows[i]) * exampleSize();
    }

    /** The shared pixel storage (package-private; never modified; null for float data). */
    byte[] storage() { return pixels; }

    /** The shared float storage (package-private; never modified; null for byte data). */
    float[] floatStorage() { return values; }

    /**
     * Same images, new labels (e.g. after label noise). {@code newLabels[i]} is the label of example {@code i} of
     * this dataset.
     */
    public Dataset withLabels(int[] newLabels) {
        if (newLabels.length != labels.length) {
            throw new IllegalArgumentException("expected " + labels.length + " labels, got " + newLabels.length);
        }
        return new Dataset(name, channels, height, width, numClasses, pixels, values, rows, newLabels.clone(), original);
    }

    /** Same data under another name. */
    public Dataset withName(String newName) {
        return new Dataset(newName, channels, height, width, numClasses, pixels, values, rows, labels, original);
    }

    /**
     * The examples at positions {@code indices} of this dataset (positions, not original indices), in that order.
     * The result keeps the original indices: {@code subset(p).originalIndex(j) == originalIndex(p[j])}.
     */
    public Dataset subset(int[] indices) {
        int[] r = new int[indices.length], l = new int[indices.length], o = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            int i = indices[j];
            Objects.checkIndex(i, labels.length);
            r[j] = rows == null ? i : rows[i];
            l[j] = labels[i];
            o[j] = originalIndex(i);
        }
        return new Dataset(name, channels, height, width, numClasses, pixels, values, r, l, o);
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + channels + "x" + height + "x" + width + ", "
                + numClasses + " classes]";
    }
}
