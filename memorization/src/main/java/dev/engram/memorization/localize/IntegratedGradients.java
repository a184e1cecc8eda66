package dev.engram.memorization.localize;

import java.util.Arrays;

/**
 * Integrated gradients over the unit masks (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks";
 * applied to neurons as in Dai et al. 2022 "Knowledge Neurons" and Chang et al. NAACL 2024; docs/methods.md §11.5):
 * the masks go along the straight path from all ones to all zeros, {@code m(α) = (1 − α)·1}, and the score of unit u
 * is {@code −∫₀¹ ∂L_t/∂m_u(m(α)) dα}, by the midpoint rule with {@code steps} points. The scores add up to
 * {@code L_t(m = 0) − L_t(m = 1)} (completeness), up to the quadrature error. The steps of a target share a forward
 * pass.
 */
public final class IntegratedGradients implements LocalizationMethod {
    private final int steps;
    private final int batchSize;

    /**
     * @param steps     points on the path
     * @param batchSize (target, step) rows per pass
     */
    public IntegratedGradients(int steps, int batchSize) {
        if (steps < 1) throw new IllegalArgumentException("integrated gradients: steps must be >= 1, got " + steps);
        if (batchSize < 1) throw new IllegalArgumentException("integrated gradients: batch size must be >= 1, got " + batchSize);
        this.steps = steps;
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return "integrated-gradients";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        int units = model.units(), n = targets.length;
        double[][] out = new double[n][units];
        long total = (long) n * steps;
        for (long from = 0; from < total; from += batchSize) {
            int b = (int) Math.min(batchSize, total - from);
            int[] rows = new int[b];
            float[][] masks = new float[b][units];
            for (int j = 0; j < b; j++) {
                long q = from + j;
                rows[j] = targets[(int) (q / steps)];
                Arrays.fill(masks[j], (float) (1 - (q % steps + 0.5) / steps));
            }
            double[][] g = model.evaluate(rows, masks, LocalizationMethod.targetLoss(model, rows)).gradients();
            for (int j = 0; j < b; j++) {
                double[] o = out[(int) ((from + j) / steps)];
                for (int u = 0; u < units; u++) o[u] -= g[j][u] / steps;
            }
        }
        return out;
    }
}
