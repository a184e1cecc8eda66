package dev.engram.engine.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's thread pool and deterministic range splitting.
 *
 * <p>Work is split into contiguous chunks whose boundaries depend only on the range length and
 * the requested chunk count (for {@link #forRange}: the configured thread count), never on
 * scheduling, so every kernel that writes disjoint outputs per chunk gives bit-identical results
 * run after run. Chunks are claimed dynamically: the calling thread and the pool's workers each
 * take the next unclaimed chunk until none is left, so a thread slowed down by another process
 * does not hold the others back.
 *
 * <p>The pool keeps {@code threads - 1} daemon workers (the caller is the last thread). Between
 * parallel regions a worker spins for a short while before it parks: a training step runs
 * hundreds of parallel kernels a few microseconds apart, and waking a parked thread costs tens
 * of microseconds on a virtual machine, as much as many of those kernels take. The spin time is
 * {@code engram.threads.spinMicros} microseconds (default 200; 0 parks at once).
 *
 * <p>The thread count comes from the system property {@code engram.threads} (default: available
 * processors) and can be changed with {@link #setThreads(int)}. A parallel loop started inside
 * another one (from a chunk body), or while another thread's loop holds the pool, runs its
 * chunks in order on the calling thread: same chunks, same results, no deadlock.
 */
public final class CpuParallel {
    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        /** Processes the indices from {@code from} (inclusive) to {@code to} (exclusive) of the loop's range. */
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = spinNanos();
    private static volatile int threads = initialThreads();
    private static volatile Pool pool = new Pool(threads);

    private CpuParallel() {}

    private static int initialThreads() {
        String p = System.getProperty("engram.threads");
        if (p != null && !p.isBlank()) {
            try {
                int t = Integer.parseInt(p.trim());
                if (t >= 1) return t;
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("engram.threads must be a positive integer, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static long spinNanos() {
        String p = System.getProperty("engram.threads.spinMicros");
        if (p == null || p.isBlank()) return 200_000L;
        try {
            long us = Long.parseLong(p.trim());
            if (us >= 0) return us * 1000L;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("engram.threads.spinMicros must be a non-negative integer, got '" + p + "'");
    }

    /** Number of worker threads kernels use. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of worker threads (at least 1). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        if (n == threads) return;
        Pool old = pool;
        pool = new Pool(n);
        threads = n;
        old.shutdown();
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks,
     * none smaller than {@code minChunk} (so tiny loops stay on the calling thread).
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        forChunks(n, Math.max(1, Math.min(threads, n / Math.max(1, minChunk))), body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into exactly {@code min(chunks, n)} contiguous
     * chunks, chunk {@code c} being {@code [n·c/chunks, n·(c+1)/chunks)}, claimed one at a time by
     * the pool's threads. More chunks than threads balance uneven work; the boundaries, and hence
     * the results of a body that writes disjoint outputs per chunk, depend only on {@code n} and
     * {@code chunks}. The first exception thrown by a chunk (lowest chunk index) is rethrown once all
     * chunks have finished.
     */
    public static void forChunks(int n, int chunks, RangeBody body) {
        if (n <= 0) return;
        int c = Math.max(1, Math.min(chunks, n));
        if (c == 1) {
            body.run(0, n);
            return;
        }
        Pool p = pool;
        Job job = new Job(body, n, c, Thread.currentThread());
        if (p.workers.length == 0 || Thread.currentThread() instanceof Worker || !p.busy.compareAndSet(false, true)) {
            job.work(); // inline: the same chunks in order, the same failure rule
            job.rethrow();
            return;
        }
        try {
            p.run(job);
        } finally {
            p.busy.set(false);
        }
    }

    /** One parallel loop: its chunks, the next one to claim, and how many have finished. */
    private static final class Job {
        final RangeBody body;
        final int n, chunks;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        /** Set before the job is published to the workers (a volatile write of {@link Pool#job} follows). */
        long id;
        volatile Throwable failure;
        volatile int failedChunk = Integer.MAX_VALUE;

        Job(RangeBody body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
        }

        static int from(int n, int chunks, int c) {
            return (int) ((long) n * c / chunks);
        }

        /** Claims and runs chunks until none is left; a chunk counts as done even if its failure handling fails. */
        void work() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    body.run(from(n, chunks, c), from(n, chunks, c + 1));
                } catch (Throwable t) {
                    synchronized (this) {
                        if (c < failedChunk) {
                            failedChunk = c;
                            failure = t;
                        }
                    }
                } finally {
                    if (done.incrementAndGet() == chunks) LockSupport.unpark(caller);
                }
            }
        }

        /** Rethrows the failure of the lowest failing chunk, if any. */
        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }

    /** The workers and the job they take chunks from. */
    private static final class Pool {
        final Worker[] workers;
        final AtomicBoolean busy = new AtomicBoolean();
        /** Jobs run so far (only the holder of {@link #busy} writes it). */
        long jobs;
        volatile Job job;
        volatile boolean shutdown;

        Pool(int threads) {
            workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        void run(Job j) {
            j.id = ++jobs;
            job = j;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            j.work();
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (j.done.get() < j.chunks) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 50_000L);
            }
            job = null; // drops the body and what it captured (workers remember only the job's number)
            j.rethrow();
        }

        void shutdown() {
            shutdown = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }
    }

    /** A pool thread: waits (spinning, then parked) for a new job and helps with its chunks. */
    private static final class Worker extends Thread {
        private final Pool pool;
        volatile boolean parked;

        Worker(Pool pool, int index) {
            super("engram-cpu-" + index);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0; // the number of the last job worked on: no reference to it is kept while waiting
            while (!pool.shutdown) {
                Job j = pool.job;
                if (j != null && j.id != seen) {
                    seen = j.id;
                    j.work();
                    continue;
                }
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (!hasNewJob(seen) && !pool.shutdown) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        Thread.interrupted(); // a flag a chunk body left set would make park return at once
                        if (!hasNewJob(seen) && !pool.shutdown) LockSupport.park(pool);
                        parked = false;
                    }
                }
            }
        }

        private boolean hasNewJob(long seen) {
            Job j = pool.job;
            return j != null && j.id != seen;
        }
    }
}
