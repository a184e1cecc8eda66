package dev.engram.engine;

import dev.engram.engine.spi.Distribution;

/**
 * Example-tied dropout masks (Maini et al. 2023, spec section 6.1), generated on the fly from
 * {@code (seed, exampleId, layerId)} with no per-example table.
 *
 * <p>A layer with C channels keeps its first {@code G = floor(pGen * C)} channels
 * ("generalization" channels) for every example; each of the remaining {@code M = C - G}
 * ("memorization") channels is kept for example i with probability {@code pMem}, by a bit that
 * depends only on (seed, i, layer, channel). Training multiplies by the mask without rescaling.
 *
 * <p>Bits: memorization channel j of example e in layer l is {@code uniform(word) < pMem}, the
 * word being element j of the Philox4x32-10 stream under key {@code seed} starting at counter
 * {@link #counterOffset(int, int)} — exactly what {@code Backend.randomFill(dst, M, BERNOULLI,
 * pMem, 0, seed, counterOffset(e, l))} draws on every backend. The masks are built on the host
 * with {@link Philox} (the same function the CPU backend runs) and uploaded as one
 * {@code [B, C]} tensor: one small upload per layer and batch instead of one kernel launch per
 * example, and identical on every device by construction.
 */
public final class ExampleTiedMasks {
    /** Channels per layer that fit in a (example, layer) counter block: 4 words per counter. */
    public static final int MAX_CHANNELS = 4 << 16;
    /** Layer ids are below this. */
    public static final int MAX_LAYERS = 1 << 16;

    private ExampleTiedMasks() {}

    /**
     * First Philox counter of example {@code exampleId} in layer {@code layerId}: the example id
     * in the high 32 bits, the layer id in the next 16, leaving 2^16 counters (2^18 channels).
     */
    public static long counterOffset(int exampleId, int layerId) {
        if (exampleId < 0) throw new IllegalArgumentException("example-tied mask: negative example id " + exampleId);
        if (layerId < 0 || layerId >= MAX_LAYERS) {
            throw new IllegalArgumentException("example-tied mask: layer id " + layerId + " outside [0, " + MAX_LAYERS + ")");
        }
        return ((long) exampleId << 32) | ((long) layerId << 16);
    }

    /** {@code G = floor(pGen * C)}, computed in double precision as the reference code's {@code int(p * C)}. */
    public static int generalizationChannels(int channels, double pGen) {
        checkP("pGen", pGen);
        return (int) (pGen * channels);
    }

    /** {@code [B, count]} Bernoulli(p) bits, row b tied to {@code (seed, exampleIds[b], layerId)}. */
    public static Tensor bernoulli(Device device, long seed, int[] exampleIds, int layerId, int count, double p) {
        checkP("p", p);
        if (count < 0 || count > MAX_CHANNELS) {
            throw new IllegalArgumentException("example-tied mask: " + count + " channels outside [0, " + MAX_CHANNELS + "]");
        }
        float[] bits = new float[exampleIds.length * count];
        for (int b = 0; b < exampleIds.length; b++) {
            Philox.fill(bits, b * count, count, Distribution.BERNOULLI, (float) p, 0f, seed,
                    counterOffset(exampleIds[b], layerId), 0);
        }
        return Tensor.of(device, bits, exampleIds.length, count);
    }

    /**
     * Training-mode mask {@code [B, C]}: 1 on the first {@code floor(pGen*C)} channels, the
     * example's Bernoulli(pMem) bits on the rest. {@code pGen = 1} gives all ones.
     */
    public static Tensor train(Device device, long seed, int[] exampleIds, int layerId, int channels, double pGen, double pMem) {
        checkP("pMem", pMem);
        int g = generalizationChannels(channels, pGen);
        int m = channels - g;
        float[] mem = bernoulli(device, seed, exampleIds, layerId, m, pMem).toFloatArray();
        float[] out = new float[exampleIds.length * channels];
        for (int b = 0; b < exampleIds.length; b++) {
            java.util.Arrays.fill(out, b * channels, b * channels + g, 1f);
            System.arraycopy(mem, b * m, out, b * channels + g, m);
        }
        return Tensor.of(device, out, exampleIds.length, channels);
    }

    /** Evaluation mask {@code [C]} ("test" mode, the expectation): 1 on generalization channels, {@code pMem} on the rest. */
    public static Tensor expectation(Device device, int channels, double pGen, double pMem) {
        checkP("pMem", pMem);
        int g = generalizationChannels(channels, pGen);
        float[] v = new float[channels];
        for (int c = 0; c < channels; c++) v[c] = c < g ? 1f : (float) pMem;
        return Tensor.of(device, v, channels);
    }

    /**
     * Evaluation mask {@code [C]} ("drop" mode): memorization channels 0, generalization channels
     * scaled by {@code (pGen + pMem) / pGen} as the reference code does ({@code pGen = 1}: all ones).
     */
    public static Tensor drop(Device device, int channels, double pGen, double pMem) {
        checkP("pMem", pMem);
        if (pGen <= 0) throw new IllegalArgumentException("example-tied mask: drop mode needs pGen > 0, got " + pGen);
        int g = generalizationChannels(channels, pGen);
        float scale = pGen == 1 ? 1f : (float) ((pGen + pMem) / pGen); // pGen = 1: the layer is the identity
        float[] v = new float[channels];
        for (int c = 0; c < g; c++) v[c] = scale;
        return Tensor.of(device, v, channels);
    }

    private static void checkP(String name, double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("example-tied mask: " + name + " must be in [0, 1], got " + p);
    }
}
