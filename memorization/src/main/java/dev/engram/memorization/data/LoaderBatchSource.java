package dev.engram.memorization.data;

import dev.engram.datasets.Batch;
import dev.engram.datasets.DataLoader;
import dev.engram.engine.Tensor;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.LabeledBatch;

import java.util.Iterator;

/**
 * A {@link DataLoader} seen as the trainer's {@link BatchSource}: epoch {@code e} is the loader's epoch {@code e}
 * (a shuffle seeded by (seed, e), augmentation keyed on (seed, e, example)), so the batches of an epoch depend only on
 * the configuration and the epoch index and a resumed run sees the same batches as an uninterrupted one. Tensors are
 * created when a batch is taken, inside the trainer's per-step scope; example ids are the loader's example indices.
 */
public final class LoaderBatchSource implements BatchSource, AutoCloseable {
    private final DataLoader loader;

    /** Wraps {@code loader}; closing this source closes the loader. */
    public LoaderBatchSource(DataLoader loader) {
        this.loader = loader;
    }

    /** The wrapped loader. */
    public DataLoader loader() {
        return loader;
    }

    @Override
    public Iterable<LabeledBatch> epoch(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("LoaderBatchSource: epoch must be >= 0, got " + epoch);
        return () -> {
            loader.setEpoch(epoch);
            Iterator<Batch> it = loader.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public LabeledBatch next() {
                    return toLabeled(it.next());
                }
            };
        };
    }

    /** The batch as tensors: inputs {@code [B, C, H, W]}, int32 labels {@code [B]}, example indices as ids. */
    public static LabeledBatch toLabeled(Batch b) {
        return new LabeledBatch(Tensor.of(b.x(), b.size(), b.channels(), b.height(), b.width()),
                Tensor.ofInts(b.y(), b.size()), b.indices());
    }

    @Override
    public int batchesPerEpoch() {
        return loader.batchesPerEpoch();
    }

    @Override
    public void close() {
        loader.close();
    }
}
