package dev.engram.nn.train;

import dev.engram.engine.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A deterministic labelled data set: {@code n} points in {@code dim} dimensions, labels from a
 * fixed linear map (linearly separable), batches shuffled by a permutation that depends only on
 * (seed, epoch). Optionally one example is replaced by NaN inputs in one epoch.
 */
final class SyntheticSource implements BatchSource {
    final float[][] x;
    final int[] y;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private int nanEpoch = -1;
    private int nanExample = -1;

    SyntheticSource(int n, int dim, int classes, int batchSize, long seed, boolean shuffle) {
        Random r = new Random(1234);
        float[][] w = new float[classes][dim];
        for (float[] row : w) for (int j = 0; j < dim; j++) row[j] = (float) r.nextGaussian();
        x = new float[n][dim];
        y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) x[i][j] = (float) r.nextGaussian();
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += w[c][j] * x[i][j];
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = best;
        }
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /** Makes example {@code example}'s inputs NaN in (0-based) epoch {@code epoch}. */
    SyntheticSource poison(int epoch, int example) {
        nanEpoch = epoch;
        nanExample = example;
        return this;
    }

    int[] order(int epoch) {
        int n = y.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (shuffle) {
            Random r = new Random(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    @Override
    public Iterable<LabeledBatch> epoch(int epoch) {
        int[] idx = order(epoch);
        return () -> new java.util.Iterator<>() {
            int pos;

            @Override
            public boolean hasNext() {
                return pos < idx.length;
            }

            @Override
            public LabeledBatch next() {
                int b = Math.min(batchSize, idx.length - pos);
                int dim = x[0].length;
                float[] in = new float[b * dim];
                int[] labels = new int[b];
                int[] ids = new int[b];
                for (int k = 0; k < b; k++) {
                    int i = idx[pos + k];
                    for (int j = 0; j < dim; j++) in[k * dim + j] = (epoch == nanEpoch && i == nanExample) ? Float.NaN : x[i][j];
                    labels[k] = y[i];
                    ids[k] = i;
                }
                pos += b;
                return new LabeledBatch(Tensor.of(in, b, dim), Tensor.ofInts(labels, b), ids);
            }
        };
    }

    @Override
    public int batchesPerEpoch() {
        return (y.length + batchSize - 1) / batchSize;
    }

    /** Position (batch index) of example {@code example} in epoch {@code epoch}. */
    int batchOf(int epoch, int example) {
        int[] idx = order(epoch);
        for (int p = 0; p < idx.length; p++) if (idx[p] == example) return p / batchSize;
        throw new IllegalArgumentException("no example " + example);
    }

    List<Integer> labels() {
        List<Integer> out = new ArrayList<>();
        for (int v : y) out.add(v);
        return out;
    }
}
