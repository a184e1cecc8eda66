package dev.engram.engine;

import java.util.function.Function;

/**
 * Settings of a per-example collection ({@link PerExample#collect}): memory budget, norm path
 * and the recompute closure used by the batch-of-one fallback. Immutable; the {@code with...}
 * methods return modified copies.
 *
 * @param memoryBudgetBytes scratch memory a rule may use at once (per-example chunks are sized
 *                          so that their intermediates stay within it)
 * @param normPath          how rules compute norms-only results
 * @param recompute         closure mapping example indices to their per-example losses
 *                          {@code [k]} (as unreduced values of the loss's terms), or null
 * @param reduction         how the loss that is back-propagated reduces those terms: MEAN means
 *                          {@code loss = sum / B}, so the fallback scales by {@code 1/B}
 * @param batchSize         the number of examples, when no rule can infer it (0 = infer)
 */
public record PerExampleOptions(long memoryBudgetBytes, NormPath normPath, Function<int[], Tensor> recompute,
                                Reduction reduction, int batchSize) {

    /** How norms-only results are computed where a rule has a choice. */
    public enum NormPath {
        /** Gram ("ghost") form when its estimated cost is lower than materializing. */
        AUTO,
        /** Always the Gram form (where one exists). */
        GHOST,
        /** Always materialize per-example gradients, chunk by chunk. */
        MATERIALIZE
    }

    /** How the back-propagated loss combines the per-example loss terms. */
    public enum Reduction {
        /** {@code loss = sum_i l_i}: per-example gradients are the gradients of {@code l_i}. */
        SUM,
        /** {@code loss = (1/B) sum_i l_i}: per-example gradients are those of {@code l_i / B}. */
        MEAN
    }

    /** Default scratch budget: 256 MiB. */
    public static final long DEFAULT_BUDGET = 256L << 20;

    /**
     * Validates the settings: a non-positive budget, a null norm path or reduction, or a negative batch size throws
     * {@link IllegalArgumentException}.
     */
    public PerExampleOptions {
        if (memoryBudgetBytes <= 0) throw new IllegalArgumentException("PerExampleOptions: memory budget must be positive, got " + memoryBudgetBytes);
        if (normPath == null || reduction == null) throw new IllegalArgumentException("PerExampleOptions: null norm path or reduction");
        if (batchSize < 0) throw new IllegalArgumentException("PerExampleOptions: negative batch size " + batchSize);
    }

    /** Defaults: 256 MiB budget, automatic norm path, no fallback closure. */
    public static PerExampleOptions defaults() {
        return new PerExampleOptions(DEFAULT_BUDGET, NormPath.AUTO, null, Reduction.MEAN, 0);
    }

    /** A copy with a scratch budget of {@code bytes} (positive). */
    public PerExampleOptions withMemoryBudget(long bytes) {
        return new PerExampleOptions(bytes, normPath, recompute, reduction, batchSize);
    }

    /** A copy that computes norms-only results by {@code path}. */
    public PerExampleOptions withNormPath(NormPath path) {
        return new PerExampleOptions(memoryBudgetBytes, path, recompute, reduction, batchSize);
    }

    /**
     * Enables the batch-of-one fallback: {@code perExampleLosses.apply(indices)} must rerun the
     * forward pass for those examples of the current batch and return their loss terms
     * {@code l_i} ({@code [k]}, unreduced); {@code reduction} says how the back-propagated loss
     * combined them (MEAN for {@code crossEntropy}, SUM for {@code crossEntropyPerExample(..).sum()}).
     */
    public PerExampleOptions withRecompute(Function<int[], Tensor> perExampleLosses, Reduction reduction) {
        return new PerExampleOptions(memoryBudgetBytes, normPath, perExampleLosses, reduction, batchSize);
    }

    /** A copy with the number of examples given explicitly, for graphs from which no rule can infer it (0 = infer). */
    public PerExampleOptions withBatchSize(int batch) {
        return new PerExampleOptions(memoryBudgetBytes, normPath, recompute, reduction, batch);
    }
}
