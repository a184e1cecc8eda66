package dev.engram.engine.cpu;

/**
 * ReLU's backward rule {@code dx = x <= 0 ? 0 : dy} (a NaN input passes its gradient, as in PyTorch) over a range of
 * elements. C2 turns neither a float select nor the raw-bit form of it into a vector loop, so {@link #get()} is the
 * Vector API implementation ({@link ReluBackwardVector}, a compare and a blend per vector; about twice the scalar
 * loop's speed on 3.2 M elements) when the JVM was started with {@code --add-modules jdk.incubator.vector}, and the
 * branch-free plain-Java loop otherwise. Both select {@code dy} or {@code +0} element by element, so their results
 * are the same bits.
 */
abstract class ReluBackward {
    private static final ReluBackward INSTANCE = load();

    /** The implementation for this JVM. */
    static ReluBackward get() {
        return INSTANCE;
    }

    /** {@code dx[k] = x[k] <= 0 ? +0 : dy[k]} for {@code k} in {@code [from, to)}. */
    abstract void apply(float[] x, float[] dy, float[] dx, int from, int to);

    /** Short name for logs and tests. */
    abstract String name();

    @Override
    public String toString() {
        return name();
    }

    private static ReluBackward load() {
        return VectorApi.loadOrElse(ReluBackward.class, "ReluBackwardVector", "ReLU backward", Scalar::new);
    }

    /**
     * All ones when the float with raw bits {@code b} is {@code <= 0} (either zero, negative, or -inf), else 0
     * (positive, +inf, or NaN of either sign); so {@code bits & ~drop} is {@code x <= 0 ? +0 : x} without a branch (a
     * data-dependent branch mispredicts half the time on activations).
     */
    static int drop(int b) {
        int notPositive = ((b - 1) | b) >> 31;
        int nan = (0x7f800000 - (b & 0x7fffffff)) >> 31;
        return notPositive & ~nan;
    }

    /** Plain Java: the gradient's bits masked by {@link #drop} of the input's. */
    static final class Scalar extends ReluBackward {
        @Override
        void apply(float[] x, float[] dy, float[] dx, int from, int to) {
            for (int k = from; k < to; k++) {
                int drop = drop(Float.floatToRawIntBits(x[k]));
                dx[k] = Float.intBitsToFloat(Float.floatToRawIntBits(dy[k]) & ~drop);
            }
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
