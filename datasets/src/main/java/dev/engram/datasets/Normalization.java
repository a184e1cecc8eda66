package dev.engram.datasets;

import java.util.Arrays;

/**
 * Per-channel normalization applied when uint8 pixels become floats: {@code x = (p / 255 - mean[c]) / std[c]}.
 * Arrays of length 1 apply to every channel.
 *
 * @param mean per-channel mean in [0,1] units
 * @param std  per-channel standard deviation in [0,1] units (all &gt; 0)
 */
public record Normalization(float[] mean, float[] std) {

    /**
     * The paper's normalization (docs/methods.md §1.1): mean 0.5, std 0.5 on every channel, i.e. pixels/255 mapped to [-1, 1].
     */
    public static final Normalization PAPER = new Normalization(new float[] {0.5f}, new float[] {0.5f});

    /** Plain scaling to [0, 1] (mean 0, std 1). */
    public static final Normalization UNIT = new Normalization(new float[] {0f}, new float[] {1f});

    /** Validates and defensively copies the arrays. */
    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std must be non-empty and of equal length: "
                    + mean.length + " vs " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) throw new IllegalArgumentException("std must be > 0, got " + s);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** A copy of the per-channel means. */
    @Override
    public float[] mean() { return mean.clone(); }

    /** A copy of the per-channel standard deviations. */
    @Override
    public float[] std() { return std.clone(); }

    /** Normalized value of pixel byte {@code pixel} (0..255) in channel {@code c}. */
    public float apply(int c, int pixel) {
        int k = mean.length == 1 ? 0 : c;
        return (pixel / 255f - mean[k]) / std[k];
    }

    /**
     * Normalized value of a float value {@code v} (already in the units of {@code pixel / 255}) in channel {@code c}:
     * {@code (v - mean[c]) / std[c]}.
     */
    public float applyValue(int c, float v) {
        int k = mean.length == 1 ? 0 : c;
        return (v - mean[k]) / std[k];
    }

    /**
     * Per-channel mean and standard deviation (population) of the values of {@code d} ({@link Dataset#value}: bytes
     * / 255, floats as they are), accumulated in double precision; a channel that is constant gets std 1, so that
     * it is only centred.
     *
     * @throws IllegalArgumentException for an empty dataset
     */
    public static Normalization of(Dataset d) {
        if (d.size() == 0) throw new IllegalArgumentException("cannot compute a normalization of empty " + d.name());
        int c = d.channels(), hw = d.height() * d.width(), es = d.exampleSize();
        double[] sum = new double[c], sq = new double[c];
        float[] img = new float[es];
        for (int i = 0; i < d.size(); i++) { // first pass: means
            d.copyImageAsFloat(i, img, 0, UNIT);
            for (int ch = 0; ch < c; ch++) {
                for (int k = ch * hw; k < (ch + 1) * hw; k++) sum[ch] += img[k];
            }
        }
        double n = (double) d.size() * hw;
        double[] m = new double[c];
        for (int ch = 0; ch < c; ch++) m[ch] = sum[ch] / n;
        for (int i = 0; i < d.size(); i++) { // second pass: squared deviations (no cancellation)
            d.copyImageAsFloat(i, img, 0, UNIT);
            for (int ch = 0; ch < c; ch++) {
                for (int k = ch * hw; k < (ch + 1) * hw; k++) {
                    double dev = img[k] - m[ch];
                    sq[ch] += dev * dev;
                }
            }
        }
        float[] mean = new float[c], std = new float[c];
        for (int ch = 0; ch < c; ch++) {
            float sd = (float) Math.sqrt(sq[ch] / n);
            mean[ch] = (float) m[ch];
            std[ch] = sd > 0 && Float.isFinite(sd) ? sd : 1f;
        }
        return new Normalization(mean, std);
    }

    /**
     * Lookup table {@code lut[c*256 + p]} of normalized values for {@code channels} channels.
     *
     * @throws IllegalArgumentException if the normalization has per-channel values for a different channel count
     */
    public float[] lookupTable(int channels) {
        if (mean.length != 1 && mean.length != channels) {
            throw new IllegalArgumentException("normalization has " + mean.length + " channels, data has " + channels);
        }
        float[] lut = new float[channels * 256];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < 256; p++) lut[c * 256 + p] = apply(c, p);
        }
        return lut;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std); }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
