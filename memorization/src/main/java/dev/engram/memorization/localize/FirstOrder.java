package dev.engram.memorization.localize;

/**
 * First-order attribution (gradient × activation): the score of unit u is {@code −∂L_t/∂m_u} at {@code m = 1}, the
 * first-order estimate of how much the target's loss rises when the unit is zeroed. Since {@code a_u·m_u} enters the
 * network, {@code ∂L/∂m_u = a_u ∂L/∂a_u}: gradient times activation (Shrikumar et al. 2016, "Not Just a Black Box";
 * as a localization method for memorization in Chang et al. NAACL 2024; docs/methods.md §11.2). One forward and
 * backward pass per batch of targets.
 */
public final class FirstOrder implements LocalizationMethod {
    private final int batchSize;

    /** @param batchSize targets per pass */
    public FirstOrder(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("first-order: batch size must be >= 1, got " + batchSize);
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return "first-order";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        double[][] out = new double[targets.length][];
        for (int from = 0; from < targets.length; from += batchSize) {
            int[] rows = java.util.Arrays.copyOfRange(targets, from, Math.min(targets.length, from + batchSize));
            double[][] g = model.evaluate(rows, null, LocalizationMethod.targetLoss(model, rows)).gradients();
            for (int j = 0; j < rows.length; j++) {
                for (int u = 0; u < g[j].length; u++) g[j][u] = -g[j][u];
                out[from + j] = g[j];
            }
        }
        return out;
    }
}
