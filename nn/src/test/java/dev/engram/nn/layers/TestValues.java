package dev.engram.nn.layers;

import dev.engram.engine.Tensor;

import java.util.SplittableRandom;

/** Seeded test inputs: values kept away from kinks and ties so finite differences are valid. */
public final class TestValues {
    private TestValues() {}

    /** Distinct values spaced {@code gap} apart around 0 (none within gap/2 of 0), shuffled. */
    public static Tensor distinct(long seed, double gap, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) ((k - n / 2 + 0.5) * gap);
        for (int k = n - 1; k > 0; k--) {
            int j = rnd.nextInt(k + 1);
            float t = v[k];
            v[k] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape);
    }

    /** Uniform values on [-1, 1). */
    public static Tensor uniform(long seed, int... shape) {
        return Tensor.rand(seed, -1f, 1f, shape);
    }

    /** A leaf requiring a gradient. */
    public static Tensor leaf(Tensor t) {
        return t.requiresGrad(true);
    }

    /** Fixed labels {@code 0..classes-1} repeating. */
    public static Tensor labels(int n, int classes) {
        int[] l = new int[n];
        for (int k = 0; k < n; k++) l[k] = (k * 7 + 3) % classes;
        return Tensor.ofInts(l, n);
    }
}
