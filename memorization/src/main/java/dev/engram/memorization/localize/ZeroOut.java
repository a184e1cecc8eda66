package dev.engram.memorization.localize;


/**
 * Zero-out (exact single-unit ablation): the score of unit u is {@code L_t(m = 1 − e_u) − L_t(m = 1)}, the exact
 * rise of the target's loss when u alone is zeroed (the "zero-out" method of Chang et al. NAACL 2024 §3; occlusion
 * of units, Zeiler &amp; Fergus 2014; docs/methods.md §11.3). Batched: one forward pass evaluates up to
 * {@code batchSize} (target, unit) pairs, each row its own mask with one zero.
 */
public final class ZeroOut implements LocalizationMethod {
    private final int batchSize;

    /** @param batchSize (target, unit) rows per forward pass */
    public ZeroOut(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("zero-out: batch size must be >= 1, got " + batchSize);
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return "zero-out";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        int units = model.units(), n = targets.length;
        double[] base = new double[n];
        double[][] out = new double[n][units];
        long total = (long) n * (units + 1); // row q: target q / (units+1), unit q % (units+1) − 1 (−1: unedited)
        for (long from = 0; from < total; from += batchSize) {
            int b = (int) Math.min(batchSize, total - from);
            int[] rows = new int[b];
            float[][] masks = new float[b][];
            for (int j = 0; j < b; j++) {
                long q = from + j;
                rows[j] = targets[(int) (q / (units + 1))];
                int u = (int) (q % (units + 1)) - 1;
                if (u >= 0) {
                    masks[j] = model.ones();
                    masks[j][u] = 0f;
                }
            }
            float[][] logits = model.evaluate(rows, masks, null).logits();
            double[] scratch = new double[logits[0].length];
            for (int j = 0; j < b; j++) {
                long q = from + j;
                int t = (int) (q / (units + 1)), u = (int) (q % (units + 1)) - 1;
                double loss = MaskedModel.crossEntropy(logits[j], model.data().labels()[targets[t]], scratch);
                if (u < 0) base[t] = loss;
                else out[t][u] = loss;
            }
        }
        for (int t = 0; t < n; t++) for (int u = 0; u < units; u++) out[t][u] -= base[t];
        return out;
    }
}
