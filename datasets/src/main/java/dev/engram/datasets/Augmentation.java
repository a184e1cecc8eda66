package dev.engram.datasets;

import java.util.SplittableRandom;

/**
 * Training-time augmentation: random crop with zero padding followed by a random horizontal flip, as torchvision's
 * {@code RandomCrop(size, padding=pad)} then {@code RandomHorizontalFlip(p)}. The output has the input's size.
 *
 * <p>Padding is zero in <em>pixel</em> space (black, byte 0), exactly as torchvision pads the PIL image before
 * {@code ToTensor}/{@code Normalize}; after normalization a padded pixel therefore has the value
 * {@code norm.apply(c, 0)} (−1 under {@link Normalization#PAPER}).
 *
 * <p>Randomness is counter-based: the crop offsets and the flip for one example are drawn from a
 * {@link SplittableRandom} seeded with a hash of (seed, epoch, original example index), so the same epoch yields
 * the same augmented images regardless of batch composition, worker count or thread timing.
 *
 * @param padding zero padding on every side (0 disables the crop)
 * @param flipProbability probability of a horizontal flip (0 disables it)
 * @param seed base seed
 */
public record Augmentation(int padding, double flipProbability, long seed) {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, 0.0, 0L);

    /** Validates the parameters. */
    public Augmentation {
        if (padding < 0) throw new IllegalArgumentException("padding must be >= 0");
        if (!(flipProbability >= 0 && flipProbability <= 1)) {
            throw new IllegalArgumentException("flipProbability must be in [0,1]");
        }
    }

    /** The paper's aug=1 geometric part: crop with padding 4 and flip with p = 0.5. */
    public static Augmentation cropAndFlip(long seed) {
        return new Augmentation(4, 0.5, seed);
    }

    /** True if this augmentation changes nothing. */
    public boolean isIdentity() { return padding == 0 && flipProbability == 0; }

    /**
     * The random choices for one example.
     *
     * @param dy   vertical crop offset in the padded image, in [0, 2*padding]
     * @param dx   horizontal crop offset in the padded image, in [0, 2*padding]
     * @param flip whether the cropped image is mirrored left-right
     */
    public record Params(int dy, int dx, boolean flip) { }

    /** Random choices for original example {@code index} in {@code epoch}. Pure function of its arguments. */
    public Params params(int epoch, int index) {
        SplittableRandom r = new SplittableRandom(mix(seed, epoch, index));
        int dy = padding == 0 ? 0 : r.nextInt(2 * padding + 1);
        int dx = padding == 0 ? 0 : r.nextInt(2 * padding + 1);
        boolean flip = flipProbability > 0 && r.nextDouble() < flipProbability;
        return new Params(dy, dx, flip);
    }

    /** A 64-bit hash of (seed, epoch, index) using the SplitMix64 finalizer. */
    static long mix(long seed, int epoch, int index) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h = fmix(h ^ (epoch * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L));
        h = fmix(h ^ (index * 0xD6E8FEB86659FD93L + 0x27D4EB2F165667C5L));
        return h;
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Writes the augmented, normalized image into {@code dst}.
     *
     * @param src    uint8 pixels, CHW
     * @param srcOff offset of the image in {@code src}
     * @param lut    normalization lookup table from {@link Normalization#lookupTable(int)}
     * @param p      random choices from {@link #params(int, int)}
     */
    public void apply(byte[] src, int srcOff, int c, int h, int w, float[] lut, Params p, float[] dst, int dstOff) {
        int pad = padding;
        int oy = p.dy() - pad, ox = p.dx() - pad; // output (y,x) reads source (y+oy, x+ox)
        for (int ch = 0; ch < c; ch++) {
            int lb = ch * 256;
            float zero = lut[lb];
            int sBase = srcOff + ch * h * w, dBase = dstOff + ch * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + oy;
                int drow = dBase + y * w;
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(dst, drow, drow + w, zero);
                    continue;
                }
                int srow = sBase + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = (p.flip() ? w - 1 - x : x) + ox;
                    dst[drow + x] = (sx < 0 || sx >= w) ? zero : lut[lb + (src[srow + sx] & 0xFF)];
                }
            }
        }
    }

    /**
     * Float-valued counterpart of {@link #apply(byte[], int, int, int, int, float[], Params, float[], int)}: the
     * same crop and flip, padding with the normalized value of 0.
     */
    public void apply(float[] src, int srcOff, int c, int h, int w, Normalization norm, Params p, float[] dst,
                      int dstOff) {
        int pad = padding;
        int oy = p.dy() - pad, ox = p.dx() - pad;
        for (int ch = 0; ch < c; ch++) {
            float zero = norm.applyValue(ch, 0f);
            int sBase = srcOff + ch * h * w, dBase = dstOff + ch * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + oy;
                int drow = dBase + y * w;
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(dst, drow, drow + w, zero);
                    continue;
                }
                int srow = sBase + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = (p.flip() ? w - 1 - x : x) + ox;
                    dst[drow + x] = (sx < 0 || sx >= w) ? zero : norm.applyValue(ch, src[srow + sx]);
                }
            }
        }
    }
}
