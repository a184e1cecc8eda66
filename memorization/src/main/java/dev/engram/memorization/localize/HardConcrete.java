package dev.engram.memorization.localize;

/**
 * Hard Concrete gates (Louizos, Welling &amp; Kingma 2018, "Learning Sparse Neural Networks through L0
 * Regularization"; as a localization method in Chang et al. NAACL 2024 §3; docs/methods.md §11.7): per unit a
 * stochastic gate {@code z = min(1, max(0, s(ζ − γ) + γ))}, {@code s = σ((log u − log(1 − u) + log α)/β)},
 * {@code u ~ U(0, 1)}, with β = 2/3, γ = −0.1, ζ = 1.1; learned with the {@link LearnedMask} objective and the
 * expected L0 norm of what is removed, {@code λ Σ_u P(z_u = 0) = λ Σ_u (1 − σ(log α − β log(−γ/ζ)))}. Score:
 * {@code −log α} (monotone in the probability that the gate is closed).
 */
public final class HardConcrete extends LearnedMask {
    static final double BETA = 2.0 / 3, GAMMA = -0.1, ZETA = 1.1;
    /** Initial log α: gates open with probability ≈ 0.97. */
    static final double INITIAL = 3;
    private static final double SHIFT = BETA * Math.log(-GAMMA / ZETA);

    /** @param settings optimisation settings */
    public HardConcrete(Settings settings) {
        super(settings);
    }

    @Override
    public String name() {
        return "hard-concrete";
    }

    @Override
    double initial() {
        return INITIAL;
    }

    @Override
    double gate(double logAlpha, double u, double[] d) {
        double s = sigmoid((Math.log(u) - Math.log(1 - u) + logAlpha) / BETA);
        double z = s * (ZETA - GAMMA) + GAMMA;
        if (z <= 0 || z >= 1) {
            d[0] = 0;
            return z <= 0 ? 0 : 1;
        }
        d[0] = (ZETA - GAMMA) * s * (1 - s) / BETA;
        return z;
    }

    @Override
    double penalty(double logAlpha, double[] d) {
        double open = sigmoid(logAlpha - SHIFT);
        d[0] = -open * (1 - open);
        return 1 - open;
    }

    @Override
    boolean stochastic() {
        return true;
    }

    @Override
    double score(double logAlpha) {
        return -logAlpha;
    }
}
