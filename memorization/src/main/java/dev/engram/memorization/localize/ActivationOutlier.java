package dev.engram.memorization.localize;

/**
 * Activation outliers: the score of unit u is the z-score of the target's activation of u (spatially averaged for a
 * channel) among a fixed sample of other training examples (the target itself left out when the sample holds it), {@code (a_t,u − mean_u) / (std_u + ε)}: units the target
 * activates unusually strongly (the "activations" method of Chang et al. NAACL 2024 §3, after Geva et al. 2022's
 * reading of feed-forward neurons; docs/methods.md §11.4). Needs no gradient; the statistics are computed once.
 */
public final class ActivationOutlier implements LocalizationMethod {
    private static final double EPS = 1e-6;
    private final int referenceSize;
    private final int batchSize;
    private final long seed;

    /**
     * @param referenceSize training examples the statistics come from
     * @param batchSize     examples per forward pass
     * @param seed          seed of the sample
     */
    public ActivationOutlier(int referenceSize, int batchSize, long seed) {
        if (referenceSize < 3) throw new IllegalArgumentException("activations: reference size must be >= 3, got " + referenceSize);
        if (batchSize < 1) throw new IllegalArgumentException("activations: batch size must be >= 1, got " + batchSize);
        this.referenceSize = referenceSize;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    @Override
    public String name() {
        return "activations";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        int units = model.units();
        int[] ref = OtherExamples.draw(model.data().size(), referenceSize, seed, new int[0]);
        double[] sum = new double[units], sq = new double[units];
        java.util.Map<Integer, double[]> refActivation = new java.util.HashMap<>();
        for (int from = 0; from < ref.length; from += batchSize) {
            int[] rows = java.util.Arrays.copyOfRange(ref, from, Math.min(ref.length, from + batchSize));
            double[][] a = model.activations(rows);
            for (int j = 0; j < rows.length; j++) {
                refActivation.put(rows[j], a[j]);
                for (int u = 0; u < units; u++) {
                    sum[u] += a[j][u];
                    sq[u] += a[j][u] * a[j][u];
                }
            }
        }
        double[][] out = new double[targets.length][];
        for (int from = 0; from < targets.length; from += batchSize) {
            int[] rows = java.util.Arrays.copyOfRange(targets, from, Math.min(targets.length, from + batchSize));
            double[][] a = model.activations(rows);
            for (int j = 0; j < rows.length; j++) {
                double[] own = refActivation.get(rows[j]); // a target in the sample is left out of its statistics
                int n = ref.length - (own == null ? 0 : 1);
                for (int u = 0; u < units; u++) {
                    double s = sum[u] - (own == null ? 0 : own[u]), q = sq[u] - (own == null ? 0 : own[u] * own[u]);
                    double mean = s / n, std = Math.sqrt(Math.max(0, q / n - mean * mean));
                    a[j][u] = (a[j][u] - mean) / (std + EPS);
                }
                out[from + j] = a[j];
            }
        }
        return out;
    }
}
