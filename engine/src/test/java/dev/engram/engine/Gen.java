package dev.engram.engine;

import java.util.SplittableRandom;

/** Seeded generators for property tests; every test prints its seed in its display name. */
final class Gen {
    final SplittableRandom rnd;
    final long seed;

    Gen(long seed) {
        this.seed = seed;
        this.rnd = new SplittableRandom(seed);
    }

    int between(int lo, int hi) {
        return lo + rnd.nextInt(hi - lo + 1);
    }

    float[] values(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return v;
    }

    /** Values with |v| in [minAbs, maxAbs] and random sign: keeps inputs away from kinks at 0. */
    float[] awayFromZero(int n, double minAbs, double maxAbs) {
        float[] v = values(n, minAbs, maxAbs);
        for (int k = 0; k < n; k++) if (rnd.nextBoolean()) v[k] = -v[k];
        return v;
    }

    /** Distinct values spaced at least {@code gap} apart (no ties for max-type ops), shuffled. */
    float[] distinct(int n, double gap) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) ((k - n / 2.0) * gap);
        for (int k = n - 1; k > 0; k--) {
            int j = rnd.nextInt(k + 1);
            float t = v[k];
            v[k] = v[j];
            v[j] = t;
        }
        return v;
    }

    Tensor param(int... shape) {
        return Tensor.of(values((int) Shapes.numel(shape), -1, 1), shape).requiresGrad(true);
    }

    Tensor param(float[] v, int... shape) {
        return Tensor.of(v, shape).requiresGrad(true);
    }

    int[] shape(int rank, int lo, int hi) {
        int[] s = new int[rank];
        for (int k = 0; k < rank; k++) s[k] = between(lo, hi);
        return s;
    }

    int[] labels(int n, int classes) {
        int[] l = new int[n];
        for (int k = 0; k < n; k++) l[k] = rnd.nextInt(classes);
        return l;
    }

    @Override
    public String toString() {
        return "seed=" + seed;
    }
}
