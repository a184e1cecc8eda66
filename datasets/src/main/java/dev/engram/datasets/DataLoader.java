package dev.engram.datasets;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Mini-batch loader over a {@link Dataset}: seeded shuffling, batching, optional augmentation, normalization to
 * floats and background prefetch.
 *
 * <p><b>Determinism.</b> The order of epoch {@code e} is a Fisher–Yates shuffle driven by a
 * {@link SplittableRandom} seeded from a hash of (seed, e); the augmentation of each example depends only on
 * (augmentation seed, e, original index). Iterating the same epoch twice therefore yields identical batches,
 * whatever the number of workers.
 *
 * <p><b>Threads.</b> With {@code workers(n)} and n &gt; 0, each {@link #iterator()} starts n daemon threads; worker
 * k builds batches k, k+n, k+2n, … into its own bounded queue of {@code prefetch} batches, and the consumer takes
 * them round-robin, so the order is the deterministic one. An exception in a worker is rethrown on the consumer
 * as a {@link DataLoaderException} with the original as cause. Abandoning an iterator early is allowed: the
 * workers are stopped by the next {@link #iterator()} call or by {@link #close()}. With 0 workers batches are built
 * on the calling thread.
 *
 * <p>Augmentation (crop and flip) needs images: a dataset of 1×1 examples (tabular features) with an augmentation
 * other than {@link Augmentation#NONE} is refused when the loader is built.
 *
 * <p>The epoch used by {@link #iterator()} is set with {@link #setEpoch(int)} (default 0); it is not advanced
 * automatically.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    private final Dataset dataset;
    private final int[] positions;     // dataset positions iterated (subset), in base order
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final Augmentation augmentation;
    private final Normalization normalization;
    private final int workers;
    private final int prefetch;
    private final IntConsumer beforeBatch; // test hook, may be null
    private final float[] lut;
    private volatile int epoch;
    private volatile boolean closed;
    private final List<Prefetcher> active = new CopyOnWriteArrayList<>();

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        int n = dataset.size();
        if (b.positions == null) {
            positions = new int[n];
            for (int i = 0; i < n; i++) positions[i] = i;
        } else {
            positions = b.positions.clone();
            for (int p : positions) Objects.checkIndex(p, n);
        }
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.augmentation = b.augmentation;
        this.normalization = b.normalization;
        this.workers = b.workers;
        this.prefetch = b.prefetch;
        this.beforeBatch = b.beforeBatch;
        this.epoch = b.epoch;
        this.lut = normalization.lookupTable(dataset.channels());
        if (!augmentation.isIdentity() && dataset.height() == 1 && dataset.width() == 1) {
            // a crop with padding would replace nearly every example by the padding value (1 in (2p+1)^2 survives)
            throw new IllegalArgumentException(dataset.name() + " has 1x1 examples (" + dataset.channels()
                    + " tabular features): random crop and flip augmentation needs images; train without augmentation");
        }
    }

    /** Starts a builder over {@code dataset}. */
    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    /** The dataset iterated. */
    public Dataset dataset() { return dataset; }

    /** Number of examples iterated per epoch (the subset size, or the dataset size). */
    public int numExamples() { return positions.length; }

    /** Batch size. */
    public int batchSize() { return batchSize; }

    /** Number of batches one epoch yields (accounts for drop-last). */
    public int batchesPerEpoch() {
        int n = positions.length;
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Sets the epoch used by subsequent {@link #iterator()} calls (mixes into shuffle and augmentation). */
    public void setEpoch(int epoch) { this.epoch = epoch; }

    /** The current epoch. */
    public int epoch() { return epoch; }

    /**
     * Dataset positions in the order epoch {@code e} visits them (before batching and drop-last). A permutation of
     * the configured positions.
     */
    public int[] order(int e) {
        int[] order = positions.clone();
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(Augmentation.mix(seed, e, 0x5EED));
            for (int i = order.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Builds batch {@code b} of an epoch whose order is {@code order}. Thread-safe. */
    Batch buildBatch(int[] order, int e, int b) {
        if (beforeBatch != null) beforeBatch.accept(b);
        int from = b * batchSize;
        int to = Math.min(order.length, from + batchSize);
        int n = to - from;
        int c = dataset.channels(), h = dataset.height(), w = dataset.width();
        int es = c * h * w;
        float[] x = new float[n * es];
        int[] y = new int[n];
        int[] idx = new int[n];
        byte[] store = dataset.storage();
        float[] fstore = dataset.floatStorage();
        boolean identity = augmentation.isIdentity();
        int hw = h * w;
        for (int k = 0; k < n; k++) {
            int pos = order[from + k];
            y[k] = dataset.label(pos);
            idx[k] = dataset.originalIndex(pos);
            int src = dataset.offsetOf(pos);
            int dst = k * es;
            if (fstore != null) {
                if (identity) {
                    for (int ch = 0; ch < c; ch++) {
                        int s = src + ch * hw, d = dst + ch * hw;
                        for (int q = 0; q < hw; q++) x[d + q] = normalization.applyValue(ch, fstore[s + q]);
                    }
                } else {
                    augmentation.apply(fstore, src, c, h, w, normalization, augmentation.params(e, idx[k]), x, dst);
                }
            } else if (identity) {
                for (int ch = 0; ch < c; ch++) {
                    int lb = ch * 256, s = src + ch * hw, d = dst + ch * hw;
                    for (int q = 0; q < hw; q++) x[d + q] = lut[lb + (store[s + q] & 0xFF)];
                }
            } else {
                augmentation.apply(store, src, c, h, w, lut, augmentation.params(e, idx[k]), x, dst);
            }
        }
        return new Batch(x, y, idx, c, h, w);
    }

    /** Iterates the batches of the current epoch. */
    @Override
    public Iterator<Batch> iterator() {
        if (closed) throw new IllegalStateException("DataLoader is closed");
        stopActive();
        int e = epoch;
        int[] order = order(e);
        int nb = batchesPerEpoch();
        if (workers == 0) {
            return new Iterator<>() {
                int next = 0;

                @Override public boolean hasNext() { return next < nb; }

                @Override public Batch next() {
                    if (next >= nb) throw new NoSuchElementException();
                    int b = next++;
                    try {
                        return buildBatch(order, e, b);
                    } catch (RuntimeException ex) {
                        throw new DataLoaderException("building batch " + b + " of epoch " + e + " failed", ex);
                    }
                }
            };
        }
        Prefetcher p = new Prefetcher(order, e, nb);
        active.add(p);
        p.start();
        return p;
    }

    private void stopActive() {
        for (Prefetcher p : active) p.stop();
        active.clear();
    }

    /** Number of prefetch worker threads currently alive (for tests and diagnostics). */
    public int liveWorkerThreads() {
        int n = 0;
        for (Prefetcher p : active) for (Thread t : p.threads) if (t.isAlive()) n++;
        return n;
    }

    /** Stops all prefetch threads and waits for them to exit; the loader cannot be iterated afterwards. */
    @Override
    public void close() {
        closed = true;
        stopActive();
    }

    /** Item in a worker queue: a batch or the failure that prevented it. */
    private record Slot(Batch batch, Throwable error) { }

    private final class Prefetcher implements Iterator<Batch> {
        final int[] order;
        final int e;
        final int nb;
        final List<BlockingQueue<Slot>> queues = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        volatile boolean stopped;
        int next = 0;

        Prefetcher(int[] order, int e, int nb) {
            this.order = order;
            this.e = e;
            this.nb = nb;
            int nw = Math.max(1, Math.min(workers, nb));
            for (int k = 0; k < nw; k++) {
                BlockingQueue<Slot> q = new ArrayBlockingQueue<>(prefetch);
                queues.add(q);
                final int wk = k;
                Thread t = new Thread(() -> run(wk, nw, q), "engram-dataloader-" + k);
                t.setDaemon(true);
                threads.add(t);
            }
        }

        void start() { for (Thread t : threads) t.start(); }

        private void run(int k, int nw, BlockingQueue<Slot> q) {
            try {
                for (int b = k; b < nb && !stopped; b += nw) {
                    Slot s;
                    try {
                        s = new Slot(buildBatch(order, e, b), null);
                    } catch (Throwable ex) {
                        s = new Slot(null, ex);
                    }
                    q.put(s);
                    if (s.error != null) return;
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() {
            stopped = true;
            for (Thread t : threads) t.interrupt();
            for (Thread t : threads) {
                try {
                    t.join(10_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        @Override public boolean hasNext() {
            if (next >= nb) {
                active.remove(this);
                return false;
            }
            return true;
        }

        @Override public Batch next() {
            if (next >= nb) throw new NoSuchElementException();
            if (stopped) throw new IllegalStateException("iterator was stopped (loader closed or re-iterated)");
            int b = next++;
            BlockingQueue<Slot> q = queues.get(b % queues.size());
            Slot s;
            try {
                s = null;
                while (s == null) {
                    s = q.poll(100, TimeUnit.MILLISECONDS);
                    if (s == null && stopped) throw new IllegalStateException("iterator was stopped");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new DataLoaderException("interrupted while waiting for batch " + b, ie);
            }
            if (s.error != null) {
                stop();
                active.remove(this);
                throw new DataLoaderException("prefetch worker failed building batch " + b + " of epoch " + e,
                        s.error);
            }
            if (next >= nb) active.remove(this);
            return s.batch;
        }
    }

    /** Builder for {@link DataLoader}. */
    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 512;
        private boolean shuffle = false;
        private long seed = 0;
        private boolean dropLast = false;
        private Augmentation augmentation = Augmentation.NONE;
        private Normalization normalization = Normalization.PAPER;
        private int[] positions;
        private int workers = 1;
        private int prefetch = 2;
        private int epoch = 0;
        private IntConsumer beforeBatch;

        private Builder(Dataset dataset) { this.dataset = Objects.requireNonNull(dataset); }

        /** Examples per batch (default 512). */
        public Builder batchSize(int n) {
            if (n <= 0) throw new IllegalArgumentException("batchSize must be > 0");
            this.batchSize = n;
            return this;
        }

        /** Shuffle every epoch with the given seed (default: no shuffle). */
        public Builder shuffle(boolean shuffle, long seed) {
            this.shuffle = shuffle;
            this.seed = seed;
            return this;
        }

        /** Drop the last incomplete batch (default false). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Augmentation (default {@link Augmentation#NONE}). */
        public Builder augmentation(Augmentation a) {
            this.augmentation = Objects.requireNonNull(a);
            return this;
        }

        /** Normalization (default {@link Normalization#PAPER}). */
        public Builder normalization(Normalization n) {
            this.normalization = Objects.requireNonNull(n);
            return this;
        }

        /** Iterate only the dataset positions given (e.g. the clean or noisy subset). */
        public Builder subset(int[] positions) {
            this.positions = positions.clone();
            return this;
        }

        /** Number of background worker threads (0 = build on the calling thread; default 1). */
        public Builder workers(int n) {
            if (n < 0) throw new IllegalArgumentException("workers must be >= 0");
            this.workers = n;
            return this;
        }

        /** Bounded queue depth per worker (default 2). */
        public Builder prefetch(int depth) {
            if (depth <= 0) throw new IllegalArgumentException("prefetch depth must be > 0");
            this.prefetch = depth;
            return this;
        }

        /** Initial epoch (default 0). */
        public Builder epoch(int e) {
            this.epoch = e;
            return this;
        }

        /** Test hook called with the batch number before each batch is built (package-private). */
        Builder beforeBatch(IntConsumer hook) {
            this.beforeBatch = hook;
            return this;
        }

        /** Builds the loader. */
        public DataLoader build() { return new DataLoader(this); }
    }
}
