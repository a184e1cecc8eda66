package dev.engram.memorization.etd;

import dev.engram.engine.Philox;
import dev.engram.engine.Tensor;
import dev.engram.engine.spi.Distribution;
import dev.engram.nn.Module;

import java.util.Arrays;

/**
 * The "sparse network" baseline of docs/methods.md §6.4 (the reference's {@code FixedDropout}): one fixed elementwise mask,
 * keeping each element with probability {@code 1 - p} and scaling survivors by {@code 1/(1-p)}, applied identically
 * in training and evaluation. The reference redraws the mask over the whole batch tensor from seed 0 on every call,
 * so it depends on an example's position in the batch and on the batch size (§9 item 24); here the mask covers one
 * example's activation shape ({@code [C, ...]}) and is shared by every example, drawn once from (seed, layer id).
 */
public class FixedSparseMask extends Module {
    private final double p;
    private final long seed;
    private final int layerId;
    private int[] shape;
    private float[] mask;

    /** @param p drop probability in [0, 1) */
    public FixedSparseMask(double p, long seed, int layerId) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("FixedSparseMask: p must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
        this.layerId = layerId;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2) throw new IllegalArgumentException("FixedSparseMask: input must be [B, ...], got " + x.describe());
        int[] s = Arrays.copyOfRange(x.shape(), 1, x.rank());
        if (mask == null) {
            shape = s;
            int n = 1;
            for (int d : s) n *= d;
            mask = new float[n];
            Philox.fill(mask, 0, n, Distribution.BERNOULLI, (float) (1 - p), 0f, seed, (long) layerId << 32, 0);
            float scale = (float) (1 / (1 - p));
            for (int i = 0; i < n; i++) mask[i] *= scale;
        } else if (!Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("FixedSparseMask " + layerId + ": mask made for activations "
                    + Arrays.toString(shape) + ", got " + x.describe());
        }
        int[] ms = new int[x.rank()];
        ms[0] = 1;
        System.arraycopy(shape, 0, ms, 1, shape.length);
        return x.mul(Tensor.of(x.device(), mask, ms));
    }

    /** Fraction of kept elements. */
    public double keptFraction() {
        if (mask == null) return Double.NaN;
        int k = 0;
        for (float v : mask) if (v != 0) k++;
        return (double) k / mask.length;
    }
}
