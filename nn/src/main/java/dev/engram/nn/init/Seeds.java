package dev.engram.nn.init;

/**
 * A deterministic stream of seeds for parameter initialization and dropout: the k-th seed drawn
 * from {@code Seeds.of(s)} is a SplitMix64 hash of {@code (s, k)}, so a model built twice from the
 * same seed gets bit-identical parameters, and every parameter draws its Philox stream from its
 * own, well-separated key. Layers take seeds in construction order; the order is part of a
 * model's definition.
 *
 * <p>Not thread-safe: one model is built on one thread.
 */
public final class Seeds {
    private final long base;
    private long index;

    private Seeds(long base) {
        this.base = base;
    }

    /** The seed stream of a model built from {@code modelSeed}. */
    public static Seeds of(long modelSeed) {
        return new Seeds(modelSeed);
    }

    /** The next seed of the stream. */
    public long next() {
        return mix(base, index++);
    }

    /** How many seeds were drawn so far. */
    public long drawn() {
        return index;
    }

    /** A seed derived from {@code (seed, index)} by SplitMix64 finalization of both words. */
    public static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + (index + 1) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
