package dev.engram.memorization.localize;

/**
 * Slimming (after network slimming, Liu et al. 2017 "Learning Efficient Convolutional Networks through Network
 * Slimming", as adapted to memorization localization by Chang et al. NAACL 2024 §3; docs/methods.md §11.6): a
 * continuous mask {@code m_u = σ(θ_u)} in [0, 1] per unit, learned with the {@link LearnedMask} objective and an L1
 * penalty on what is removed, {@code λ Σ_u (1 − m_u)}. Score: {@code −θ_u} (monotone in {@code 1 − m_u}, without
 * ties). Deterministic.
 */
public final class Slimming extends LearnedMask {
    /** Initial logit: σ(3) ≈ 0.95. */
    static final double INITIAL = 3;

    /** @param settings optimisation settings */
    public Slimming(Settings settings) {
        super(settings);
    }

    @Override
    public String name() {
        return "slimming";
    }

    @Override
    double initial() {
        return INITIAL;
    }

    @Override
    double gate(double theta, double noise, double[] d) {
        double s = sigmoid(theta);
        d[0] = s * (1 - s);
        return s;
    }

    @Override
    double penalty(double theta, double[] d) {
        double s = sigmoid(theta);
        d[0] = -s * (1 - s);
        return 1 - s;
    }

    @Override
    boolean stochastic() {
        return false;
    }

    @Override
    double score(double theta) {
        return -theta;
    }
}
