package dev.engram.datasets;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Helpers shared by the readers of a researcher's own data ({@link ImageFolderReader}, {@link NpyDatasetReader}):
 * the seeded train/test split and the image-size syntax.
 */
public final class OwnDatasets {
    /**
     * Seed of the train/test split of data without its own test part. It is fixed (not the run's seed) so that runs
     * with different seeds on the same files train on the same examples.
     */
    public static final long SPLIT_SEED = 0x5EED_5A17L;

    private OwnDatasets() { }

    /**
     * Splits {@code all} into a training and a test set: a seeded random {@code round(n * testFraction)} examples
     * (at least one, leaving at least one for training) form the test set; both keep the file order, and both are
     * fresh datasets whose example {@code i} has original index {@code i} (training example indices are positions in
     * the training part).
     *
     * @throws IllegalArgumentException when {@code testFraction} is not in (0, 1) or there are fewer than 2 examples
     */
    public static TrainTest split(Dataset all, double testFraction, long seed, String name) {
        int[][] idx = splitIndices(all.size(), testFraction, seed, name + " has ");
        return new TrainTest(copy(all, idx[0], name + "-train"), copy(all, idx[1], name + "-test"));
    }

    /**
     * The positions {@link #split} puts in the training part ({@code [0]}) and in the test part ({@code [1]}) of
     * {@code n} examples, each in increasing order: training example {@code i} of a split dataset is example
     * {@code splitIndices(...)[0][i]} of the unsplit one.
     *
     * @throws IllegalArgumentException when {@code testFraction} is not in (0, 1) or {@code n} is below 2
     */
    public static int[][] splitIndices(int n, double testFraction, long seed) {
        return splitIndices(n, testFraction, seed, "");
    }

    private static int[][] splitIndices(int n, double testFraction, long seed, String what) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("test fraction must be in (0, 1), got " + testFraction);
        }
        if (n < 2) throw new IllegalArgumentException(what + n + " example(s); a train/test split needs 2");
        int nTest = (int) Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] test = Arrays.copyOf(perm, nTest);
        int[] train = Arrays.copyOfRange(perm, nTest, n);
        Arrays.sort(test);
        Arrays.sort(train);
        return new int[][] {train, test};
    }

    /** A fresh dataset of the examples {@code idx} of {@code d} (original index = new position). */
    static Dataset copy(Dataset d, int[] idx, String name) {
        int es = d.exampleSize();
        int[] labels = new int[idx.length];
        for (int j = 0; j < idx.length; j++) labels[j] = d.label(idx[j]);
        if (d.isFloat()) {
            float[] v = new float[idx.length * es];
            float[] src = d.floatStorage();
            for (int j = 0; j < idx.length; j++) System.arraycopy(src, d.offsetOf(idx[j]), v, j * es, es);
            return Dataset.ofFloats(name, d.channels(), d.height(), d.width(), d.numClasses(), v, labels);
        }
        byte[] p = new byte[idx.length * es];
        for (int j = 0; j < idx.length; j++) d.copyImage(idx[j], p, j * es);
        return new Dataset(name, d.channels(), d.height(), d.width(), d.numClasses(), p, labels);
    }

    /**
     * Parses an image size {@code HxW} (e.g. {@code 32x32}); null or blank = none.
     *
     * @return {height, width}, or null
     * @throws IllegalArgumentException for anything else than two positive integers up to 4096 joined by 'x'
     */
    public static int[] parseImageSize(String s) {
        if (s == null || s.isBlank()) return null;
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.matches("\\d{1,4}x\\d{1,4}")) {
            String[] p = t.split("x");
            int h = Integer.parseInt(p[0]), w = Integer.parseInt(p[1]);
            if (h >= 1 && w >= 1 && h <= 4096 && w <= 4096) return new int[] {h, w};
        }
        throw new IllegalArgumentException("image size '" + s + "' is not HxW with 1 <= H, W <= 4096 (e.g. 32x32)");
    }
}
