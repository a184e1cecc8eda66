package dev.engram.memorization.retrain;

import dev.engram.datasets.Batch;
import dev.engram.datasets.DataLoader;
import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.LabeledBatch;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Batches of the whole training set (shuffled per epoch, unaugmented) filtered to the selected examples, as the
 * paper's retraining code builds them: the normal mini-batch of {@code batchSize} examples keeps only its selected
 * members, and a filtered batch with fewer than {@code minExamples} examples is skipped (the code skips batches of 0
 * or 1, which batch-norm cannot normalize). Tensors are created lazily, inside the trainer's per-step scope.
 */
public final class SelectedBatches implements BatchSource {
    private final DataLoader loader;
    private final boolean[] selected;
    private final int minExamples;

    /**
     * @param data        dataset (with the labels to train or evaluate on); example ids are its positions
     * @param selected    per position: whether the example is used
     * @param batchSize   size of the unfiltered batches
     * @param shuffle     shuffle every epoch (seeded by {@code seed} and the epoch)
     * @param minExamples smallest filtered batch that is kept (2 for training, 1 for evaluation)
     */
    public SelectedBatches(Dataset data, boolean[] selected, int batchSize, boolean shuffle, long seed,
                           int minExamples, Normalization normalization) {
        if (selected.length != data.size()) {
            throw new IllegalArgumentException("selection has " + selected.length + " entries for " + data.size()
                    + " examples of " + data.name());
        }
        if (minExamples < 1) throw new IllegalArgumentException("minExamples must be >= 1, got " + minExamples);
        this.loader = DataLoader.builder(data).batchSize(batchSize).shuffle(shuffle, seed).workers(0)
                .normalization(normalization).build();
        this.selected = selected.clone();
        this.minExamples = minExamples;
    }

    /** A selection mask of {@code n} positions with {@code indices} set. */
    public static boolean[] mask(int n, int[] indices) {
        boolean[] m = new boolean[n];
        for (int i : indices) m[i] = true;
        return m;
    }

    @Override
    public int batchesPerEpoch() {
        return loader.batchesPerEpoch();
    }

    @Override
    public Iterable<LabeledBatch> epoch(int epoch) {
        return () -> {
            loader.setEpoch(epoch);
            Iterator<Batch> it = loader.iterator();
            return new Iterator<>() {
                private Batch next = advance();

                private Batch advance() {
                    while (it.hasNext()) {
                        Batch b = filter(it.next());
                        if (b != null) return b;
                    }
                    return null;
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public LabeledBatch next() {
                    if (next == null) throw new NoSuchElementException();
                    Batch b = next;
                    next = advance();
                    return LoaderBatchSource.toLabeled(b);
                }
            };
        };
    }

    /** The selected part of {@code b}, or null when it has fewer than {@code minExamples} examples. */
    private Batch filter(Batch b) {
        int[] idx = b.indices();
        int keep = 0;
        for (int i : idx) {
            if (i < 0 || i >= selected.length) {
                throw new IllegalArgumentException("example id " + i + " is outside the selection of " + selected.length
                        + " examples");
            }
            if (selected[i]) keep++;
        }
        if (keep < minExamples) return null;
        if (keep == idx.length) return b;
        int es = b.exampleSize();
        float[] x = new float[keep * es];
        int[] y = new int[keep];
        int[] ids = new int[keep];
        int k = 0;
        for (int j = 0; j < idx.length; j++) {
            if (!selected[idx[j]]) continue;
            System.arraycopy(b.x(), j * es, x, k * es, es);
            y[k] = b.y()[j];
            ids[k] = idx[j];
            k++;
        }
        return new Batch(x, y, ids, b.channels(), b.height(), b.width());
    }
}
