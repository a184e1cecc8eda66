package dev.engram.memorization.detect;

import dev.engram.engine.ExampleTiedMasks;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;

/**
 * The turn-over dropout layer of Kobayashi, Yokoi, Suzuki and Inui, "Efficient Estimation of Influence of a Training
 * Instance" (2020; docs/methods.md §8.4): every training example i owns a fixed random half of the layer's units (its subnetwork mask
 * {@code m_i}, Bernoulli(1/2) bits tied to the example id, drawn as Engram's example-tied masks
 * {@link ExampleTiedMasks#bernoulli}), and is only ever trained through that half, scaled by 2 as inverted dropout. The
 * complementary half {@code 1 − m_i} ("turned over") never saw example i, so the network with the turned-over mask is
 * a model trained without i, and the network with {@code m_i} one trained with it.
 *
 * <p>In training mode the layer applies the example's own mask; in evaluation mode it applies {@link #mode()}:
 * {@link Mode#OWN} ({@code 2·m_i}), {@link Mode#TURNED_OVER} ({@code 2·(1 − m_i)}) or {@link Mode#FULL} (identity, the
 * expectation). The mask is looked up for the ids of the current {@link BatchContext}; for the influence of training
 * example i on another example j, evaluate j under the id of i.
 */
public final class TurnOverDropout extends Module {
    /** What the layer multiplies its input by in evaluation mode. */
    public enum Mode {
        /** The example's own subnetwork, {@code 2·m_i}. */
        OWN,
        /** The complementary subnetwork, {@code 2·(1 − m_i)}. */
        TURNED_OVER,
        /** Every unit, unscaled (the expectation of either mask). */
        FULL
    }

    private final int layerId;
    private final long seed;
    private Mode mode = Mode.OWN;

    /**
     * @param layerId distinguishes the masks of different placements
     * @param seed    mask seed
     */
    public TurnOverDropout(int layerId, long seed) {
        if (layerId < 0 || layerId >= ExampleTiedMasks.MAX_LAYERS) {
            throw new IllegalArgumentException("TurnOverDropout: layer id " + layerId + " outside [0, "
                    + ExampleTiedMasks.MAX_LAYERS + ")");
        }
        this.layerId = layerId;
        this.seed = seed;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2) throw new IllegalArgumentException("TurnOverDropout: input must be [B, C, ...], got " + x.describe());
        Mode m = isTraining() ? Mode.OWN : mode;
        if (m == Mode.FULL) return x;
        int[] ids = BatchContext.require("TurnOverDropout (layer " + layerId + ")");
        if (ids.length != x.dim(0)) {
            throw new IllegalArgumentException("TurnOverDropout: batch context has " + ids.length
                    + " example ids but the input " + x.describe() + " has " + x.dim(0) + " examples");
        }
        return Functional.mask(x, mask(x.device(), ids, x.dim(1), m == Mode.TURNED_OVER));
    }

    /** The {@code [B, channels]} mask of {@code ids}: {@code 2·m_i}, or {@code 2·(1 − m_i)} when turned over. */
    Tensor mask(dev.engram.engine.Device device, int[] ids, int channels, boolean turnedOver) {
        float[] bits = ExampleTiedMasks.bernoulli(device, seed, ids, layerId, channels, 0.5).toFloatArray();
        for (int k = 0; k < bits.length; k++) bits[k] = 2f * (turnedOver ? 1f - bits[k] : bits[k]);
        return Tensor.of(device, bits, ids.length, channels);
    }

    /** The evaluation-mode mask. */
    public Mode mode() {
        return mode;
    }

    /** Sets the evaluation-mode mask; returns this. */
    public TurnOverDropout setMode(Mode m) {
        if (m == null) throw new IllegalArgumentException("TurnOverDropout: mode must not be null");
        this.mode = m;
        return this;
    }
}
