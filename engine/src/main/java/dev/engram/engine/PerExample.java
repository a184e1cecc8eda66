package dev.engram.engine;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Per-example gradients and per-example gradient norms, computed during an ordinary backward
 * pass without changes to model code:
 *
 * <pre>{@code
 * try (PerExampleGradients pe = PerExample.collect(params, PerExample.Mode.NORMS)) {
 *     Functional.crossEntropy(model.forward(x), y).backward();
 * }
 * float[] n2 = pe.squaredNorms(weight);          // [B]
 * }</pre>
 *
 * <h2>Convention</h2>
 * The per-example gradient {@code g_i} is the gradient of the loss <em>as written</em>
 * restricted to example i, so {@code sum_i g_i} equals the ordinary {@code .grad} (which is
 * still accumulated as usual). For a mean loss {@code (1/B) sum_i l_i} that includes the factor
 * {@code 1/B}; back-propagate a sum ({@code crossEntropyPerExample(..).sum()}, as
 * {@link #squaredNorms(List, Supplier)} does) to get the unscaled gradients of {@code l_i}.
 *
 * <h2>How</h2>
 * Each parametric op registers a {@link PerExampleRule} in {@link PerExampleRules}: linear
 * ({@code dy_i^T x_i}, summed over sequence positions), conv2d (im2col + batched GEMM), batch-
 * and layer-norm affine parameters (per-example sums of {@code dy*x_hat} and {@code dy}), and
 * masks that are parameters (per-example channel sums of {@code dy*x}), and parameters without an
 * example axis that are broadcast over the batch by add, subtract, multiply or expand (position
 * embeddings, class tokens, learned scales: example b's slice of the gradient, summed to the
 * parameter's shape). In NORMS mode the
 * weight of a linear or conv layer used once never has its {@code B x |param|} gradients
 * materialized at once (vector parameters — biases, norm affine, masks — have activation-sized
 * {@code [B, C]} per-example gradients, which are formed and reduced): linear
 * without a sequence axis uses {@code ||x_i||^2 ||dy_i||^2}; linear with a sequence axis and
 * conv use the Gram ("ghost") form {@code sum_{t,s} (x_t.x_s)(dy_t.dy_s)} when its cost
 * {@code T^2 (in+out)} is below materializing's {@code T in out} (T = positions; for conv
 * {@code in = C*R*S}, {@code out = K}), and otherwise materialize one chunk of examples at a
 * time. A parameter used more than once (weight sharing) gets the sum of its uses; in NORMS
 * mode its per-example gradients are materialized to take the norm of that sum. Chunks are
 * sized so that a rule's scratch memory stays within {@link PerExampleOptions#memoryBudgetBytes()}.
 * Where the conv rule materializes per-example filter gradients it also hands their sum to the
 * node, whose backward then skips its own (equal-cost) filter-gradient pass: {@code .grad} is
 * then summed in example order, equal to the plain pass up to float rounding.
 *
 * <h2>Fallback</h2>
 * A parameter with a use that no rule covers (an op without a rule, or a parameter in an
 * activation slot) gets its per-example gradients from B batch-of-one backward passes of a
 * closure given with {@link PerExampleOptions#withRecompute}; without one the collection throws,
 * naming the parameter and op. The first time an op needs the fallback a warning is logged.
 * The fallback runs when the collection closes; it leaves every {@code .grad} as it was.
 *
 * <h2>Batch-norm</h2>
 * In evaluation mode batch-norm is a per-example affine map and everything is exact. In
 * training mode the batch statistics couple examples. The rule for the layer's own
 * {@code gamma, beta} treats the statistics as constants ({@code x_hat} from the batch's mean
 * and variance): {@code g_i} for them, and for every parameter downstream of the layer, equals
 * the gradient of example i's loss through a batch-norm frozen at those statistics. Parameters
 * <em>upstream</em> of a training-mode batch-norm receive the true back-propagated gradient,
 * which already mixes examples through the statistics: their {@code g_i} is the part of the
 * batch gradient that flows through example i's activations, so {@code sum_i g_i} still equals
 * {@code .grad}, but {@code g_i} is not the gradient of example i's loss alone (no batch-of-one
 * quantity is). For per-example gradients with that meaning put the model in evaluation mode.
 */
public final class PerExample {
    private PerExample() {}

    /** What a collection keeps. */
    public enum Mode {
        /** Only per-example squared norms {@code [B]} per parameter. */
        NORMS,
        /** Full per-example gradients {@code [B, ...param shape]} per parameter (and their norms). */
        GRADIENTS
    }

    /** Starts collecting for {@code params} (null: every leaf requiring a gradient that backward reaches). */
    public static PerExampleGradients collect(List<Tensor> params, Mode mode) {
        return new PerExampleGradients(params, mode, PerExampleOptions.defaults());
    }

    /** Starts collecting with explicit options (memory budget, norm path, fallback closure). */
    public static PerExampleGradients collect(List<Tensor> params, Mode mode, PerExampleOptions options) {
        return new PerExampleGradients(params, mode, options);
    }

    /** Starts collecting for every leaf requiring a gradient that the backward pass reaches. */
    public static PerExampleGradients collect(Mode mode) {
        return collect(null, mode);
    }

    /**
     * Runs {@code perExampleLossesForward} (which returns the loss terms {@code [B]}),
     * back-propagates their sum and returns the finished collection of per-example squared norms
     * (of the unscaled {@code l_i}). The sum's gradient is accumulated into {@code .grad}.
     * Every parameter use must be covered by a rule (there is no closure for the fallback).
     */
    public static PerExampleGradients squaredNorms(List<Tensor> params, Supplier<Tensor> perExampleLossesForward) {
        return run(params, Mode.NORMS, PerExampleOptions.defaults(), i -> perExampleLossesForward.get(), null);
    }

    /**
     * Like {@link #squaredNorms(List, Supplier)} with a closure that computes the loss terms of any
     * subset of the batch's examples (given by index), so that parameters without rules use the
     * batch-of-one fallback.
     */
    public static PerExampleGradients squaredNorms(List<Tensor> params, Function<int[], Tensor> perExampleLosses, int batchSize) {
        return run(params, Mode.NORMS, PerExampleOptions.defaults(), perExampleLosses, all(batchSize));
    }

    /** Per-example gradients of the unscaled loss terms {@code l_i}; see {@link #squaredNorms(List, Function, int)}. */
    public static PerExampleGradients gradients(List<Tensor> params, Function<int[], Tensor> perExampleLosses, int batchSize) {
        return run(params, Mode.GRADIENTS, PerExampleOptions.defaults(), perExampleLosses, all(batchSize));
    }

    private static PerExampleGradients run(List<Tensor> params, Mode mode, PerExampleOptions options,
                                           Function<int[], Tensor> losses, int[] indices) {
        PerExampleOptions o = indices == null ? options
                : options.withRecompute(losses, PerExampleOptions.Reduction.SUM).withBatchSize(indices.length);
        PerExampleGradients pe = collect(params, mode, o);
        try {
            Tensor l = losses.apply(indices);
            if (indices != null && (l.rank() != 1 || l.shapeRef()[0] != indices.length)) {
                throw new IllegalArgumentException("per-example: the loss closure returned " + l.describe() + " for "
                        + indices.length + " examples; expected one loss term per example");
            }
            l.sum().backward();
        } finally {
            pe.close();
        }
        return pe;
    }

    private static int[] all(int batchSize) {
        if (batchSize <= 0) throw new IllegalArgumentException("per-example: batch size must be positive, got " + batchSize);
        int[] idx = new int[batchSize];
        for (int i = 0; i < batchSize; i++) idx[i] = i;
        return idx;
    }
}
