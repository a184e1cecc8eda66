package dev.engram.engine;

import dev.engram.engine.spi.Distribution;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/**
 * {@link Philox#fill} against the original element-by-element implementation, kept here as the reference: the
 * generated streams are part of reproducible results, so every value must stay bit-identical.
 */
class PhiloxFillParityTest {
    /** The original fill (one Box-Muller per element, dispatch per element), unchanged. */
    static void referenceFill(float[] dst, int off, long count, Distribution dist,
                              float a, float b, long seed, long counterOffset, long firstElement) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int[] w = new int[4];
        long end = firstElement + count;
        long i = firstElement;
        while (i < end) {
            long ctr = counterOffset + i / 4;
            Philox.block((int) ctr, (int) (ctr >>> 32), 0, 0, k0, k1, w);
            int lane = (int) (i % 4);
            for (; lane < 4 && i < end; lane++, i++) {
                float v;
                switch (dist) {
                    case UNIFORM -> v = a + (b - a) * Philox.toUnit(w[lane]);
                    case BERNOULLI -> v = Philox.toUnit(w[lane]) < a ? 1f : 0f;
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

    private static void assertSame(Distribution dist, float a, float b, long seed, long counterOffset,
                                   long firstElement, int count, int off) {
        float[] expected = new float[off + count + 3], actual = new float[off + count + 3];
        java.util.Arrays.fill(expected, -7f);
        java.util.Arrays.fill(actual, -7f);
        referenceFill(expected, off, count, dist, a, b, seed, counterOffset, firstElement);
        Philox.fill(actual, off, count, dist, a, b, seed, counterOffset, firstElement);
        for (int k = 0; k < expected.length; k++) {
            if (Float.floatToRawIntBits(expected[k]) != Float.floatToRawIntBits(actual[k])) {
                throw new AssertionError(dist + " seed " + seed + " counterOffset " + counterOffset + " first "
                        + firstElement + " count " + count + " off " + off + ": element " + k + " is " + actual[k]
                        + ", was " + expected[k]);
            }
        }
    }

    @Test
    void everyDistributionMatchesTheOriginalBitForBit() {
        SplittableRandom rnd = new SplittableRandom(2024);
        int[] counts = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 333, 784, 1001};
        long[] offsets = {0, 1, 2, 3, 4, 5, 6, 7, 401, 1L << 20, (1L << 32) - 1, 3L << 32};
        long[] counters = {0, 1, 100, 12345L << 32, -1L, Long.MAX_VALUE};
        for (Distribution dist : Distribution.values()) {
            for (int trial = 0; trial < 40; trial++) {
                long seed = trial < 2 ? trial : rnd.nextLong();
                float a = dist == Distribution.BERNOULLI ? rnd.nextFloat() : (float) rnd.nextGaussian();
                float b = (float) (0.01 + rnd.nextDouble() * 3);
                for (int count : counts) {
                    long first = offsets[rnd.nextInt(offsets.length)];
                    long counter = counters[rnd.nextInt(counters.length)];
                    assertSame(dist, a, b, seed, counter, first, count, rnd.nextInt(5));
                }
            }
            for (long first : offsets) for (int count : counts) assertSame(dist, 0.25f, 1.5f, 42, 7, first, count, 2);
        }
    }

    @Test
    void longNormalStreamsMatchTheOriginal() {
        // covers the whole range of both words well: 2^20 pairs per seed
        for (long seed : new long[] {0, 42, -3, 0x9E3779B97F4A7C15L}) {
            assertSame(Distribution.NORMAL, 0f, 1f, seed, seed << 32, 0, 1 << 21, 0);
            assertSame(Distribution.NORMAL, 0.5f, 0.01f, seed, 17, 3, (1 << 16) + 5, 1);
        }
    }
}
