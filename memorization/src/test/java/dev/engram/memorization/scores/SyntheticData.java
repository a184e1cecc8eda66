package dev.engram.memorization.scores;

import java.util.SplittableRandom;

/** Small generated classification tasks with label noise for the analysis tests. */
public final class SyntheticData {
    private SyntheticData() { }

    /**
     * {@code n} images {@code 1 x side x side} from {@code classes} Gaussian clusters (unit-norm-ish random centres,
     * per-pixel noise {@code spread}); the first {@code round(noise * n)} examples of a random permutation get a
     * label shifted by 1..classes-1 (never the true one), flagged noisy.
     */
    public static ExampleSet clusters(int n, int side, int classes, double spread, double noise, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = side * side;
        float[][] centres = new float[classes][d];
        for (float[] c : centres) for (int j = 0; j < d; j++) c[j] = (float) (rnd.nextGaussian());
        float[] x = new float[n * d];
        int[] labels = new int[n], ids = new int[n];
        boolean[] noisy = new boolean[n];
        for (int i = 0; i < n; i++) {
            int y = i % classes;
            labels[i] = y;
            ids[i] = i;
            for (int j = 0; j < d; j++) x[i * d + j] = (float) (centres[y][j] + spread * rnd.nextGaussian());
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int k = (int) Math.round(noise * n);
        for (int q = 0; q < k; q++) {
            int i = perm[q];
            labels[i] = (labels[i] + 1 + rnd.nextInt(classes - 1)) % classes;
            noisy[i] = true;
        }
        return new ExampleSet(x, labels, ids, noisy, 1, side, side, classes);
    }
}
