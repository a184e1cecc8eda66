package dev.engram.memorization.data;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.nn.init.Seeds;

import java.util.Locale;
import java.util.Random;

/**
 * Input corruptions of Zhang et al., "Understanding deep learning requires rethinking generalization" (ICLR 2017, §2;
 * docs/methods.md §8.10), applied to a run's training and test images, deterministically from the run's seed:
 * <ul>
 * <li>{@code shuffled-pixels}: one random permutation of the pixel positions, the same for every image of the
 * training and the test set;</li>
 * <li>{@code random-pixels}: an independent random permutation of the pixel positions for each image;</li>
 * <li>{@code gaussian}: every image replaced by Gaussian noise with the per-channel mean and variance of the run's
 * training images (values {@code pixel / 255}; the test images get noise of the same, training, moments).</li>
 * </ul>
 * A permutation moves whole pixels: all channels of a position go to the same new position. Labels stay as they are
 * (label noise is the run's noise fraction). The training and the test set draw from separate streams.
 */
public enum InputCorruption {
    /** The images as they are. */
    NONE("none"),
    /** One fixed permutation of the pixel positions for every image. */
    SHUFFLED_PIXELS("shuffled-pixels"),
    /** An independent permutation of the pixel positions per image. */
    RANDOM_PIXELS("random-pixels"),
    /** Gaussian noise with the training images' per-channel mean and variance. */
    GAUSSIAN("gaussian");

    private static final long STREAM = 0x1A9C_0EE7L;
    private final String label;

    InputCorruption(String label) {
        this.label = label;
    }

    /** The name in {@code config.json} and on the command line. */
    public String label() {
        return label;
    }

    /**
     * The corruption named {@code name} (one of {@link ExperimentConfig#INPUT_CORRUPTIONS}).
     *
     * @throws IllegalArgumentException naming the value and the known names
     */
    public static InputCorruption parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (InputCorruption c : values()) if (c.label.equals(n)) return c;
        throw new IllegalArgumentException("input corruption '" + name + "' is unknown; expected one of "
                + ExperimentConfig.INPUT_CORRUPTIONS);
    }

    /**
     * The training and test sets corrupted with {@code seed}; {@link #NONE} returns them unchanged. Each corrupted set
     * keeps its labels, name suffixed {@code +<label>}.
     */
    public TrainTest apply(TrainTest data, long seed) {
        Dataset train = data.train(), test = data.test();
        return switch (this) {
            case NONE -> data;
            case SHUFFLED_PIXELS -> {
                int[] perm = permutation(train.height() * train.width(), new Random(Seeds.mix(seed ^ STREAM, 0)));
                yield new TrainTest(permuted(train, i -> perm, label), permuted(test, i -> perm, label));
            }
            case RANDOM_PIXELS -> new TrainTest(randomPixels(train, Seeds.mix(seed ^ STREAM, 1)),
                    randomPixels(test, Seeds.mix(seed ^ STREAM, 2)));
            case GAUSSIAN -> {
                double[][] m = channelMoments(train);
                yield new TrainTest(gaussian(train, m[0], m[1], Seeds.mix(seed ^ STREAM, 3)),
                        gaussian(test, m[0], m[1], Seeds.mix(seed ^ STREAM, 4)));
            }
        };
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates with {@code rng}). */
    static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Each image with an independent permutation of its pixel positions, drawn in example order from {@code seed} (one
     * permutation in memory at a time).
     */
    static Dataset randomPixels(Dataset d, long seed) {
        Random rng = new Random(seed);
        int hw = d.height() * d.width();
        return permuted(d, i -> permutation(hw, rng), RANDOM_PIXELS.label);
    }

    /**
     * {@code d} with the pixels of example i moved by {@code perm(i)}: the new image's position {@code k} holds the old
     * image's position {@code perm(i)[k]}, every channel alike. {@code perm} is called once per example, in example
     * order.
     */
    static Dataset permuted(Dataset d, java.util.function.IntFunction<int[]> perm, String suffix) {
        int c = d.channels(), hw = d.height() * d.width(), size = d.exampleSize();
        if (d.isFloat()) {
            float[] out = new float[d.size() * size];
            for (int i = 0; i < d.size(); i++) {
                int[] p = perm.apply(i);
                for (int ch = 0; ch < c; ch++) {
                    for (int k = 0; k < hw; k++) {
                        out[i * size + ch * hw + k] = d.value(i, ch, p[k] / d.width(), p[k] % d.width());
                    }
                }
            }
            return Dataset.ofFloats(d.name() + "+" + suffix, c, d.height(), d.width(), d.numClasses(), out, d.labels());
        }
        byte[] img = new byte[size];
        byte[] out = new byte[d.size() * size];
        for (int i = 0; i < d.size(); i++) {
            d.copyImage(i, img, 0);
            int[] p = perm.apply(i);
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < hw; k++) out[i * size + ch * hw + k] = img[ch * hw + p[k]];
            }
        }
        return new Dataset(d.name() + "+" + suffix, c, d.height(), d.width(), d.numClasses(), out, d.labels());
    }

    /** Per-channel mean ({@code [0]}) and standard deviation ({@code [1]}, population) of {@code d}'s values. */
    static double[][] channelMoments(Dataset d) {
        int c = d.channels();
        double[] sum = new double[c], sq = new double[c];
        long n = (long) d.size() * d.height() * d.width();
        for (int i = 0; i < d.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < d.height(); y++) {
                    for (int x = 0; x < d.width(); x++) {
                        double v = d.value(i, ch, y, x);
                        sum[ch] += v;
                        sq[ch] += v * v;
                    }
                }
            }
        }
        double[] mean = new double[c], std = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = sum[ch] / n;
            std[ch] = Math.sqrt(Math.max(0, sq[ch] / n - mean[ch] * mean[ch]));
        }
        return new double[][] {mean, std};
    }

    /** Images of Gaussian noise, channel {@code ch} with mean {@code mean[ch]} and standard deviation {@code std[ch]}. */
    static Dataset gaussian(Dataset like, double[] mean, double[] std, long seed) {
        Random rng = new Random(seed);
        int c = like.channels(), hw = like.height() * like.width(), size = like.exampleSize();
        float[] out = new float[like.size() * size];
        for (int i = 0; i < like.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < hw; k++) out[i * size + ch * hw + k] = (float) (mean[ch] + std[ch] * rng.nextGaussian());
            }
        }
        return Dataset.ofFloats(like.name() + "+" + GAUSSIAN.label, c, like.height(), like.width(), like.numClasses(), out,
                like.labels());
    }
}
