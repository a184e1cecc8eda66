package dev.engram.memorization.data;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.engine.Tensor;

/**
 * Examples held in memory as normalized floats, with the labels a model was trained on, their
 * example ids (dataset positions: the keys of noise masks and example-tied dropout masks) and
 * the clean/noisy flag. The analyses of this package, of {@code flip} and of {@code etd} work on it.
 *
 * @param x          {@code size * channels * height * width} normalized pixels
 * @param labels     training labels (the corrupted label for noisy examples)
 * @param ids        example ids
 * @param noisy      whether each example's label was corrupted
 * @param numClasses number of classes
 */
public record ExampleSet(float[] x, int[] labels, int[] ids, boolean[] noisy, int channels, int height, int width,
                         int numClasses) {

    /** Checks that the arrays agree in size. */
    public ExampleSet {
        int n = labels.length;
        if (ids.length != n || noisy.length != n || (long) n * channels * height * width != x.length) {
            throw new IllegalArgumentException("ExampleSet: " + n + " labels, " + ids.length + " ids, " + noisy.length
                    + " noise flags and " + x.length + " pixels for images " + channels + "x" + height + "x" + width);
        }
        for (int y : labels) {
            if (y < 0 || y >= numClasses) throw new IllegalArgumentException("ExampleSet: label " + y + " outside [0, " + numClasses + ")");
        }
    }

    /**
     * All examples of {@code d} with the given training labels and noise flags (null: the dataset's labels, all
     * clean); example id = position in {@code d}.
     */
    public static ExampleSet of(Dataset d, Normalization norm, int[] trainLabels, boolean[] noisyMask) {
        int n = d.size();
        int[] labels = trainLabels == null ? d.labels() : trainLabels.clone();
        boolean[] noisy = noisyMask == null ? new boolean[n] : noisyMask.clone();
        if (labels.length != n || noisy.length != n) {
            throw new IllegalArgumentException("ExampleSet: dataset " + d.name() + " has " + n + " examples but "
                    + labels.length + " labels and " + noisy.length + " noise flags were given");
        }
        int es = d.exampleSize();
        float[] x = new float[n * es];
        for (int i = 0; i < n; i++) d.copyImageAsFloat(i, x, i * es, norm);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        return new ExampleSet(x, labels, ids, noisy, d.channels(), d.height(), d.width(), d.numClasses());
    }

    /** Number of examples. */
    public int size() {
        return labels.length;
    }

    /** Floats per example. */
    public int exampleSize() {
        return channels * height * width;
    }

    /** The rows {@code rows} as a new set. */
    public ExampleSet subset(int[] rows) {
        int es = exampleSize();
        float[] sx = new float[rows.length * es];
        int[] sl = new int[rows.length];
        int[] si = new int[rows.length];
        boolean[] sn = new boolean[rows.length];
        for (int k = 0; k < rows.length; k++) {
            int r = rows[k];
            if (r < 0 || r >= size()) throw new IllegalArgumentException("ExampleSet: row " + r + " outside [0, " + size() + ")");
            System.arraycopy(x, r * es, sx, k * es, es);
            sl[k] = labels[r];
            si[k] = ids[r];
            sn[k] = noisy[r];
        }
        return new ExampleSet(sx, sl, si, sn, channels, height, width, numClasses);
    }

    /** Rows {@code [from, to)} as an image tensor {@code [n, C, H, W]}. */
    public Tensor images(int from, int to) {
        int es = exampleSize();
        float[] v = new float[(to - from) * es];
        System.arraycopy(x, from * es, v, 0, v.length);
        return Tensor.of(v, to - from, channels, height, width);
    }

    /** Labels of rows {@code [from, to)} as an int tensor. */
    public Tensor labelTensor(int from, int to) {
        return Tensor.ofInts(java.util.Arrays.copyOfRange(labels, from, to), to - from);
    }

    /** Ids of rows {@code [from, to)}. */
    public int[] ids(int from, int to) {
        return java.util.Arrays.copyOfRange(ids, from, to);
    }

    /** Rows whose examples are noisy ({@code true}) or clean ({@code false}). */
    public int[] rowsWhere(boolean wantNoisy) {
        int c = 0;
        for (boolean b : noisy) if (b == wantNoisy) c++;
        int[] r = new int[c];
        c = 0;
        for (int i = 0; i < noisy.length; i++) if (noisy[i] == wantNoisy) r[c++] = i;
        return r;
    }

    /** Number of noisy examples. */
    public int noisyCount() {
        int c = 0;
        for (boolean b : noisy) if (b) c++;
        return c;
    }
}
