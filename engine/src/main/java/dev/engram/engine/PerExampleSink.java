package dev.engram.engine;

/**
 * Where per-example rules put their results. For each parameter the collector asks either for
 * full per-example gradients (an accumulator {@code [B, ...param shape]} that rules add into) or
 * only for per-example squared norms (when a parameter is used once and only norms were asked
 * for, so a rule may use a cheaper norm formula and never materialize {@code B x |param|}).
 */
public interface PerExampleSink {
    /** Whether per-example results are wanted for {@code t} (a tracked parameter covered by rules). */
    boolean wants(Tensor t);

    /** Whether only the per-example squared norms of {@code param} are needed. */
    boolean normsOnly(Tensor param);

    /**
     * The zero-initialized per-example gradient accumulator {@code [batch, ...param shape]} of
     * {@code param}; rules add into it (for example with a GEMM with beta = 1). {@code op} names
     * the op for the error raised when {@code batch} disagrees with the batch seen so far.
     */
    Tensor gradients(Tensor param, int batch, String op);

    /**
     * A new, uninitialized accumulator for {@code param} that the caller must overwrite
     * completely (saves zeroing it), or null when {@code param} already has per-example
     * gradients (then add into {@link #gradients} instead).
     */
    Tensor gradientsToOverwrite(Tensor param, int batch, String op);

    /** Adds squared norms for examples {@code [first, first + values.length)} of a norms-only parameter. */
    void addSquaredNorms(Tensor param, int first, float[] values, int batch, String op);

    /**
     * Adds per-example gradients given as a tensor of {@code batch * numel(param)} elements
     * (rows of example gradients); reduced to squared norms when {@link #normsOnly} holds.
     */
    void add(Tensor param, Tensor perExample, int batch, String op);

    /** Examples per chunk so that {@code bytesPerExample} of scratch per example stays within the memory budget (at least 1). */
    int chunkSize(long bytesPerExample, int batch);

    /**
     * Whether a norm should be computed in the Gram ("ghost") form, given estimated costs of the
     * Gram form and of materializing the per-example gradient (both in multiply-adds).
     */
    boolean useGhost(double ghostCost, double materializeCost);
}
