package dev.engram.nn.layers;

import dev.engram.engine.ExampleTiedMasks;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;

/**
 * Example-tied dropout (Maini et al. 2023, spec section 6.1): of the C channels (conv) or
 * neurons (linear) of its input {@code [B, C, ...]}, the first {@code floor(pGen * C)} are
 * "generalization" units kept for every example; each remaining "memorization" unit is tied to
 * example i with probability {@code pMem}, by a bit drawn from {@code (seed, i, layerId, unit)}
 * ({@link ExampleTiedMasks}; nothing is stored per example). The example ids come from
 * {@link BatchContext}.
 *
 * <p>Modes, as the reference code's {@code drop_mode}:
 * <ul>
 *   <li>{@link Mode#TRAIN}: multiply by the example's own mask, no rescaling. Always used in
 *       training mode; in evaluation mode it measures how well training examples are fit
 *       "before dropping".</li>
 *   <li>{@link Mode#TEST}: the expectation: memorization units times {@code pMem}.</li>
 *   <li>{@link Mode#DROP}: memorization units zero, generalization units times
 *       {@code (pGen + pMem) / pGen} (the code's compensation heuristic, spec section 9 item 23).</li>
 * </ul>
 * In evaluation mode the layer uses {@link #evalMode()} (default {@link Mode#TEST}); in training
 * mode it always uses the example's own mask. {@code pGen = 1} makes the layer the identity.
 * Give every placement its own {@code layerId} so that equal-width layers get independent masks
 * (the reference seeds every layer alike, spec section 9 item 22).
 */
public class ExampleTiedDropout extends Module {
    /** What the layer multiplies its input by. */
    public enum Mode {
        /** The example's own tied mask (needs example ids). */
        TRAIN,
        /** Expectation: memorization units scaled by {@code pMem}. */
        TEST,
        /** Memorization units zeroed, generalization units scaled by {@code (pGen + pMem) / pGen}. */
        DROP
    }

    private final double pGen;
    private final double pMem;
    private final int layerId;
    private final long seed;
    private Mode evalMode = Mode.TEST;

    /**
     * @param pGen    fraction of units that are never dropped, in (0, 1]
     * @param pMem    probability that a memorization unit is tied to a given example, in [0, 1]
     * @param layerId distinguishes the masks of different placements, in [0, 65536)
     * @param seed    mask seed (masks are a function of seed, example id, layer id and unit)
     */
    public ExampleTiedDropout(double pGen, double pMem, int layerId, long seed) {
        if (!(pGen > 0 && pGen <= 1)) throw new IllegalArgumentException("ExampleTiedDropout: pGen must be in (0, 1], got " + pGen);
        if (!(pMem >= 0 && pMem <= 1)) throw new IllegalArgumentException("ExampleTiedDropout: pMem must be in [0, 1], got " + pMem);
        if (layerId < 0 || layerId >= ExampleTiedMasks.MAX_LAYERS) {
            throw new IllegalArgumentException("ExampleTiedDropout: layer id " + layerId + " outside [0, " + ExampleTiedMasks.MAX_LAYERS + ")");
        }
        this.pGen = pGen;
        this.pMem = pMem;
        this.layerId = layerId;
        this.seed = seed;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2) throw new IllegalArgumentException("ExampleTiedDropout: input must be [B, C, ...], got " + x.describe());
        if (pGen == 1) return x;
        int channels = x.dim(1);
        Mode mode = isTraining() ? Mode.TRAIN : evalMode;
        Tensor m = switch (mode) {
            case TRAIN -> {
                int[] ids = BatchContext.require("ExampleTiedDropout (layer " + layerId + ", TRAIN mode)");
                if (ids.length != x.dim(0)) {
                    throw new IllegalArgumentException("ExampleTiedDropout: batch context has " + ids.length
                            + " example ids but the input " + x.describe() + " has " + x.dim(0) + " examples");
                }
                yield ExampleTiedMasks.train(x.device(), seed, ids, layerId, channels, pGen, pMem);
            }
            case TEST -> ExampleTiedMasks.expectation(x.device(), channels, pGen, pMem);
            case DROP -> ExampleTiedMasks.drop(x.device(), channels, pGen, pMem);
        };
        return Functional.mask(x, m);
    }

    /** Mode used in evaluation mode. */
    public Mode evalMode() {
        return evalMode;
    }

    /** Sets the mode used in evaluation mode; returns this. */
    public ExampleTiedDropout setEvalMode(Mode mode) {
        if (mode == null) throw new IllegalArgumentException("ExampleTiedDropout: mode must not be null");
        this.evalMode = mode;
        return this;
    }

    /** Number of generalization units of a layer with {@code channels} units. */
    public int generalizationUnits(int channels) {
        return ExampleTiedMasks.generalizationChannels(channels, pGen);
    }

    /** Fraction of units kept for every example (the generalization units). */
    public double pGen() {
        return pGen;
    }

    /** Probability that a memorization unit is tied to a given example. */
    public double pMem() {
        return pMem;
    }

    /** The placement id mixed into this layer's mask bits. */
    public int layerId() {
        return layerId;
    }

    /** The mask seed. */
    public long seed() {
        return seed;
    }
}
