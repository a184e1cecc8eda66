package dev.engram.engine;

import java.util.Arrays;

/** Shape arithmetic and checks shared by all ops. */
public final class Shapes {
    private Shapes() {}

    /** Number of elements of {@code shape}: the product of its dimensions, 1 for the scalar shape {@code []}. */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** The shape as text for messages, e.g. {@code [2, 3]}. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    static void check(int[] shape, String op) {
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + ": negative dimension in shape " + str(shape));
        }
    }

    /** Normalizes a possibly negative axis. */
    public static int axis(int axis, int rank, String op) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    static void requireSame(int[] a, int[] b, String op) {
        if (!Arrays.equals(a, b)) {
            throw new IllegalArgumentException(op + ": shapes differ, " + str(a) + " vs " + str(b));
        }
    }

    /** NumPy broadcast of two shapes. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int k = 0; k < rank; k++) {
            int da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
            int db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (axis " + k + ": " + da + " vs " + db + ")");
            }
            out[k] = da == 1 ? db : da;
        }
        return out;
    }

    /** Product of dims in {@code [from, to)}. */
    static int prod(int[] shape, int from, int to) {
        int p = 1;
        for (int k = from; k < to; k++) p *= shape[k];
        return p;
    }
}
