package dev.engram.engine;

import dev.engram.engine.spi.Distribution;

import java.util.Objects;

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

    /**
     * {@link #block} for the counters {@code (ctr, 0)} and {@code (ctr + 1, 0)} (64-bit counter in c0, c1; c2 = c3 = 0)
     * into {@code out[0 .. 4)} and {@code out[4 .. 8)}. The two round chains are independent and interleaved, so the
     * multiplications of one overlap the other's latency.
     */
    private static void block2(long ctr, int k0, int k1, int[] out) {
        long next = ctr + 1;
        int a0 = (int) ctr, a1 = (int) (ctr >>> 32), a2 = 0, a3 = 0;
        int b0 = (int) next, b1 = (int) (next >>> 32), b2 = 0, b3 = 0;
        for (int round = 0; round < 10; round++) {
            long pa0 = (M0 & 0xFFFFFFFFL) * (a0 & 0xFFFFFFFFL);
            long pa1 = (M1 & 0xFFFFFFFFL) * (a2 & 0xFFFFFFFFL);
            long pb0 = (M0 & 0xFFFFFFFFL) * (b0 & 0xFFFFFFFFL);
            long pb1 = (M1 & 0xFFFFFFFFL) * (b2 & 0xFFFFFFFFL);
            int na0 = (int) (pa1 >>> 32) ^ a1 ^ k0, na2 = (int) (pa0 >>> 32) ^ a3 ^ k1;
            int nb0 = (int) (pb1 >>> 32) ^ b1 ^ k0, nb2 = (int) (pb0 >>> 32) ^ b3 ^ k1;
            a1 = (int) pa1;
            a3 = (int) pa0;
            b1 = (int) pb1;
            b3 = (int) pb0;
            a0 = na0;
            a2 = na2;
            b0 = nb0;
            b2 = nb2;
            k0 += W0;
            k1 += W1;
        }
        out[0] = a0;
        out[1] = a1;
        out[2] = a2;
        out[3] = a3;
        out[4] = b0;
        out[5] = b1;
        out[6] = b2;
        out[7] = b3;
    }

    /** Maps a random 32-bit word to a float uniform on [0, 1) with 24 bits of resolution. */
    public static float toUnit(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }

    /**
     * Fills {@code dst[off .. off+count)} with draws: element {@code i} uses word {@code i % 4} of
     * counter {@code counterOffset + i / 4} (low and high 32 bits in c0, c1) under key {@code seed}
     * (low and high 32 bits), for {@code i} in {@code [firstElement, firstElement + count)}. NORMAL uses
     * Box-Muller on the word pairs (0,1) and (2,3): the first word of a pair gives the radius, the
     * second the angle; the pair's even element takes the cosine, the odd one the sine.
     */
    public static void fill(float[] dst, int off, long count, Distribution dist,
                            float a, float b, long seed, long counterOffset, long firstElement) {
        if (count <= 0) return;
        if (firstElement < 0) throw new IllegalArgumentException("negative first element " + firstElement);
        Objects.checkFromIndexSize(off, count, dst.length);
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int[] w = new int[4];
        float[] part = new float[4];
        long ctr = counterOffset + firstElement / 4;
        int pos = off;
        int left = (int) count;
        // a block entered part-way: draw all four values, keep the wanted lanes
        int head = (int) (firstElement % 4);
        if (head != 0) {
            block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            ctr++;
            values(dist, a, b, w, 0, part, 0);
            int take = Math.min(4 - head, left);
            System.arraycopy(part, head, dst, pos, take);
            pos += take;
            left -= take;
        }
        // whole blocks, two at a time
        int end = pos + (left & ~3);
        int end2 = pos + (left & ~7);
        int[] w2 = new int[8];
        for (; pos < end2; pos += 8, ctr += 2) {
            block2(ctr, k0, k1, w2);
            values(dist, a, b, w2, 0, dst, pos);
            values(dist, a, b, w2, 4, dst, pos + 4);
        }
        for (; pos < end; pos += 4, ctr++) {
            block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            values(dist, a, b, w, 0, dst, pos);
        }
        // a block left part-way
        int tail = left & 3;
        if (tail != 0) {
            block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            values(dist, a, b, w, 0, part, 0);
            System.arraycopy(part, 0, dst, pos, tail);
        }
    }

    /** The four values of the words {@code w[from .. from+4)} (one block) into {@code out[at .. at+4)}. */
    private static void values(Distribution dist, float a, float b, int[] w, int from, float[] out, int at) {
        switch (dist) {
            case UNIFORM -> uniform(a, b, w, from, out, at);
            case BERNOULLI -> bernoulli(a, w, from, out, at);
            default -> {
                normalPair(w[from], w[from + 1], a, b, out, at);
                normalPair(w[from + 2], w[from + 3], a, b, out, at + 2);
            }
        }
    }

    /** Uniform on {@code [a, b)} from the four words {@code w[from .. from+4)}. */
    private static void uniform(float a, float b, int[] w, int from, float[] out, int at) {
        float range = b - a;
        out[at] = a + range * toUnit(w[from]);
        out[at + 1] = a + range * toUnit(w[from + 1]);
        out[at + 2] = a + range * toUnit(w[from + 2]);
        out[at + 3] = a + range * toUnit(w[from + 3]);
    }

    /** 1 with probability {@code p}, else 0, from the four words {@code w[from .. from+4)}. */
    private static void bernoulli(float p, int[] w, int from, float[] out, int at) {
        out[at] = toUnit(w[from]) < p ? 1f : 0f;
        out[at + 1] = toUnit(w[from + 1]) < p ? 1f : 0f;
        out[at + 2] = toUnit(w[from + 2]) < p ? 1f : 0f;
        out[at + 3] = toUnit(w[from + 3]) < p ? 1f : 0f;
    }

    /**
     * Box-Muller on one word pair: radius {@code sqrt(-2 ln u1)} with {@code u1} in (0, 1] from {@code w0}, angle
     * {@code 2 pi u2} with {@code u2} in [0, 1) from {@code w1}, computed once for both outputs
     * {@code a + b r cos t} and {@code a + b r sin t} (in double, rounded to float).
     */
    private static void normalPair(int w0, int w1, float a, float b, float[] out, int at) {
        double u1 = ((w0 >>> 8) + 1) * 0x1.0p-24;
        double u2 = (w1 >>> 8) * 0x1.0p-24;
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double t = 2.0 * Math.PI * u2;
        out[at] = (float) (a + b * (r * Math.cos(t)));
        out[at + 1] = (float) (a + b * (r * Math.sin(t)));
    }
}
