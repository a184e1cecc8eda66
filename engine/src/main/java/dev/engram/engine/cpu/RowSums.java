package dev.engram.engine.cpu;

/**
 * Sums over contiguous runs of floats for the normalization kernels and dot products, and the finiteness check of the
 * Winograd convolutions: float lanes within blocks of at most
 * {@link #BLOCK} elements, the blocks' sums added in double. A lane adds at most {@code BLOCK / lanes} values, so the
 * result is as accurate as a double accumulation of the same values to within a few float roundings of a block sum,
 * while the inner loop is a vector loop.
 *
 * <p>{@link #get()} is the Vector API implementation ({@link RowSumsVector}, the CPU's preferred vector width) when the
 * JVM was started with {@code --add-modules jdk.incubator.vector}, otherwise a plain-Java one with eight lanes. The
 * two add in different orders, so their results differ by rounding; each is deterministic and does not depend on the
 * thread count.
 */
abstract class RowSums {
    /** Most elements summed in float before the block's sum is added in double. */
    static final int BLOCK = 1024;

    private static final RowSums INSTANCE = load();

    /** The implementation for this JVM. */
    static RowSums get() {
        return INSTANCE;
    }

    /** {@code Σ x[off..off+len)}. */
    abstract double sum(float[] x, int off, int len);

    /** {@code Σ (x[i] − mu)²} over {@code [off, off+len)}. */
    abstract double sumSquaredDeviations(float[] x, int off, int len, float mu);

    /**
     * Adds {@code Σ dy[i]} to {@code acc[0]}, {@code Σ dy[i]·(x[i] − mu)} to {@code acc[1]} and {@code Σ (x[i] − mu)} to
     * {@code acc[2]} over {@code [off, off+len)}.
     */
    abstract void sumAndCenteredDot(float[] dy, float[] x, int off, int len, float mu, double[] acc);

    /** {@code Σ a[aOff + i]·b[bOff + i]} over {@code i} in {@code [0, len)}. */
    abstract double dot(float[] a, int aOff, float[] b, int bOff, int len);

    /**
     * Whether {@code x[off..off+len)} holds only finite values: {@code x − x} is 0 for a number and NaN for an infinity
     * or NaN, and the differences are summed (a vector loop, where a scan for the exponent bits would be scalar).
     */
    abstract boolean allFinite(float[] x, int off, int len);

    /** Short name for logs and tests. */
    abstract String name();

    @Override
    public String toString() {
        return name();
    }

    private static RowSums load() {
        return VectorApi.loadOrElse(RowSums.class, "RowSumsVector", "row sums", Scalar::new);
    }

    /** Plain Java: eight float lanes per block (four for {@link #allFinite}). */
    static final class Scalar extends RowSums {
        @Override
        boolean allFinite(float[] x, int off, int len) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = off, end = off + len;
            for (; i + 4 <= end; i += 4) {
                s0 += x[i] - x[i];
                s1 += x[i + 1] - x[i + 1];
                s2 += x[i + 2] - x[i + 2];
                s3 += x[i + 3] - x[i + 3];
            }
            for (; i < end; i++) s0 += x[i] - x[i];
            return (s0 + s1) + (s2 + s3) == 0f;
        }

        @Override
        double sum(float[] x, int off, int len) {
            double total = 0;
            for (int b = off, end = off + len; b < end; b += BLOCK) {
                int e = Math.min(end, b + BLOCK), i = b;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                for (; i + 8 <= e; i += 8) {
                    s0 += x[i];
                    s1 += x[i + 1];
                    s2 += x[i + 2];
                    s3 += x[i + 3];
                    s4 += x[i + 4];
                    s5 += x[i + 5];
                    s6 += x[i + 6];
                    s7 += x[i + 7];
                }
                for (; i < e; i++) s0 += x[i];
                total += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            }
            return total;
        }

        @Override
        double sumSquaredDeviations(float[] x, int off, int len, float mu) {
            double total = 0;
            for (int b = off, end = off + len; b < end; b += BLOCK) {
                int e = Math.min(end, b + BLOCK), i = b;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                for (; i + 8 <= e; i += 8) {
                    float d0 = x[i] - mu, d1 = x[i + 1] - mu, d2 = x[i + 2] - mu, d3 = x[i + 3] - mu;
                    float d4 = x[i + 4] - mu, d5 = x[i + 5] - mu, d6 = x[i + 6] - mu, d7 = x[i + 7] - mu;
                    s0 += d0 * d0;
                    s1 += d1 * d1;
                    s2 += d2 * d2;
                    s3 += d3 * d3;
                    s4 += d4 * d4;
                    s5 += d5 * d5;
                    s6 += d6 * d6;
                    s7 += d7 * d7;
                }
                for (; i < e; i++) {
                    float d = x[i] - mu;
                    s0 += d * d;
                }
                total += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            }
            return total;
        }

        @Override
        double dot(float[] a, int aOff, float[] b, int bOff, int len) {
            double total = 0;
            int shift = bOff - aOff;
            for (int blk = aOff, end = aOff + len; blk < end; blk += BLOCK) {
                int e = Math.min(end, blk + BLOCK), i = blk;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                for (; i + 8 <= e; i += 8) {
                    s0 += a[i] * b[i + shift];
                    s1 += a[i + 1] * b[i + 1 + shift];
                    s2 += a[i + 2] * b[i + 2 + shift];
                    s3 += a[i + 3] * b[i + 3 + shift];
                    s4 += a[i + 4] * b[i + 4 + shift];
                    s5 += a[i + 5] * b[i + 5 + shift];
                    s6 += a[i + 6] * b[i + 6 + shift];
                    s7 += a[i + 7] * b[i + 7 + shift];
                }
                for (; i < e; i++) s0 += a[i] * b[i + shift];
                total += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            }
            return total;
        }

        @Override
        void sumAndCenteredDot(float[] dy, float[] x, int off, int len, float mu, double[] acc) {
            for (int b = off, end = off + len; b < end; b += BLOCK) {
                int e = Math.min(end, b + BLOCK), i = b;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
                for (; i + 4 <= e; i += 4) {
                    float g0 = dy[i], g1 = dy[i + 1], g2 = dy[i + 2], g3 = dy[i + 3];
                    float d0 = x[i] - mu, d1 = x[i + 1] - mu, d2 = x[i + 2] - mu, d3 = x[i + 3] - mu;
                    s0 += g0;
                    s1 += g1;
                    s2 += g2;
                    s3 += g3;
                    t0 += g0 * d0;
                    t1 += g1 * d1;
                    t2 += g2 * d2;
                    t3 += g3 * d3;
                    u0 += d0;
                    u1 += d1;
                    u2 += d2;
                    u3 += d3;
                }
                for (; i < e; i++) {
                    float d = x[i] - mu;
                    s0 += dy[i];
                    t0 += dy[i] * d;
                    u0 += d;
                }
                acc[0] += (s0 + s1) + (s2 + s3);
                acc[1] += (t0 + t1) + (t2 + t3);
                acc[2] += (u0 + u1) + (u2 + u3);
            }
        }

        @Override
        String name() {
            return "scalar-8";
        }
    }
}
