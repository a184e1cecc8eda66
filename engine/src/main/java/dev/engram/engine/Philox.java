package dev.engram.engine;

/**
 * Philox4x32-10 counter-based random numbers (Salmon et al., SC'11). A pure function of
 * (key, counter): every backend that implements it draws the same numbers from the same seed,
 * and a draw for any counter needs no state, which is how example-tied masks are generated on
 * the fly from {@code (seed, exampleId, layerId)}.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {}

    /** Writes the four 32-bit words for counter {@code (c0, c1, c2, c3)} under key {@code (k0, k1)} into {@code out}. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0;
            int n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Maps a random 32-bit word to a float uniform on [0, 1) with 24 bits of resolution. */
    public static float toUnit(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }

    /**
     * Fills {@code dst[off .. off+count)} with draws: element {@code i} uses word {@code i % 4} of
     * counter {@code counterOffset + i / 4} (low and high 32 bits in c0, c1) under key {@code seed}
     * (low and high 32 bits). NORMAL uses Box-Muller on the word pairs (0,1) and (2,3).
     */
    public static void fill(float[] dst, int off, long count, dev.engram.engine.spi.Distribution dist,
                            float a, float b, long seed, long counterOffset, long firstElement) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int[] w = new int[4];
        long end = firstElement + count;
        long i = firstElement;
        while (i < end) {
            long ctr = counterOffset + i / 4;
            block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            int lane = (int) (i % 4);
            for (; lane < 4 && i < end; lane++, i++) {
                float v;
                switch (dist) {
                    case UNIFORM -> v = a + (b - a) * toUnit(w[lane]);
                    case BERNOULLI -> v = toUnit(w[lane]) < a ? 1f : 0f;
                    default -> {
                        int pair = lane & ~1;
                        double u1 = ((w[pair] >>> 8) + 1) * 0x1.0p-24; // (0, 1]
                        double u2 = (w[pair + 1] >>> 8) * 0x1.0p-24;
                        double r = Math.sqrt(-2.0 * Math.log(u1));
                        double t = 2.0 * Math.PI * u2;
                        v = (float) (a + b * ((lane & 1) == 0 ? r * Math.cos(t) : r * Math.sin(t)));
                    }
                }
                dst[(int) (off + i - firstElement)] = v;
            }
        }
    }
}
