package dev.engram.memorization.localize;

import java.util.SplittableRandom;

/**
 * The random baseline (Chang et al. NAACL 2024 §3; docs/methods.md §11.8): independent uniform scores, seeded by
 * (seed, target example id) so that a target's scores do not depend on the other targets.
 */
public final class RandomRanking implements LocalizationMethod {
    private final long seed;

    /** @param seed base seed */
    public RandomRanking(long seed) {
        this.seed = seed;
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        double[][] out = new double[targets.length][model.units()];
        for (int t = 0; t < targets.length; t++) {
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + model.data().ids()[targets[t]]);
            for (int u = 0; u < out[t].length; u++) out[t][u] = rnd.nextDouble();
        }
        return out;
    }
}
