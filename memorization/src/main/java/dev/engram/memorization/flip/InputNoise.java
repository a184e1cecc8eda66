package dev.engram.memorization.flip;

import dev.engram.engine.Philox;
import dev.engram.engine.spi.Distribution;

/**
 * The Gaussian input noise of the robust flipping criterion (docs/methods.md §5.2 step 2) as a deterministic function of
 * {@code (seed, example id, iteration, copy)}: Philox4x32-10 normal draws under a key mixed from
 * (seed, iteration, copy), starting at counter {@code exampleId << 32}. Batched and one-at-a-time searches
 * therefore see identical noise, whatever the batch composition.
 *
 * <p>Scale: the reference code rescales one draw over the whole batch tensor to norm
 * {@code 0.01 * ||X_B||}, i.e. a per-pixel standard deviation of about {@code 0.01 * RMS(X_B)}; here every pixel
 * gets standard deviation {@code sigma = scale * RMS(X_R)} with {@code X_R} the fixed reference batch, which has
 * the same expected norm without tying one example's noise to its batch companions.
 */
public final class InputNoise {
    private InputNoise() { }

    /** Per-pixel standard deviation {@code scale * sqrt(mean(x^2))} over {@code x[from*es .. to*es)}. */
    public static float sigma(float[] x, double scale) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return x.length == 0 ? 0f : (float) (scale * Math.sqrt(s / x.length));
    }

    /** Adds {@code sigma * N(0, 1)} noise of (seed, exampleId, iteration, copy) to {@code dst[off .. off+n)}. */
    public static void add(float[] dst, int off, int n, float sigma, long seed, int exampleId, int iteration, int copy,
                           float[] scratch) {
        if (sigma == 0f) return;
        if (exampleId < 0) throw new IllegalArgumentException("input noise: negative example id " + exampleId);
        Philox.fill(scratch, 0, n, Distribution.NORMAL, 0f, sigma, key(seed, iteration, copy), (long) exampleId << 32, 0);
        for (int k = 0; k < n; k++) dst[off + k] += scratch[k];
    }

    /** SplitMix64-style mix of the seed with the iteration and copy numbers. */
    static long key(long seed, int iteration, int copy) {
        long z = seed + 0x9E3779B97F4A7C15L * (1 + (((long) iteration << 20) ^ copy));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
