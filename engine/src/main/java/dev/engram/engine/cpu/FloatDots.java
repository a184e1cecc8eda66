package dev.engram.engine.cpu;

import java.util.Objects;

/**
 * Dot products of float runs, accumulated as the normalization kernels' sums are ({@link RowSums}): float lanes
 * within blocks of at most 1,024 elements, the blocks' sums added in double, with the Vector API when the JVM has
 * it. As accurate as a double accumulation to within a few float roundings of each block's sum; deterministic.
 */
public final class FloatDots {
    private FloatDots() { }

    /**
     * {@code Σ a[aOff + i]·b[bOff + i]} over {@code i} in {@code [0, len)}.
     *
     * @throws IndexOutOfBoundsException if a run does not fit its array
     */
    public static double dot(float[] a, int aOff, float[] b, int bOff, int len) {
        Objects.checkFromIndexSize(aOff, len, a.length);
        Objects.checkFromIndexSize(bOff, len, b.length);
        return RowSums.get().dot(a, aOff, b, bOff, len);
    }
}
