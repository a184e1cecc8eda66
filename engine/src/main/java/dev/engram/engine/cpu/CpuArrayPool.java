package dev.engram.engine.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Recycles the large arrays of freed CPU tensor storage, so that a training step, whose tensors
 * have the same sizes step after step, takes its arrays from the previous step instead of
 * allocating fresh ones. Fresh large arrays are what made steps slow and erratic: each is
 * zeroed on memory the process has not touched recently (page faults; G1 commits and uncommits
 * heap as such allocations come and go), and arrays of at least half a G1 region are humongous
 * objects that trigger concurrent collection cycles.
 *
 * <p>Only arrays of at least {@link #MIN_ELEMENTS} elements are pooled (smaller ones come cheaply
 * from the thread's allocation buffer), and only arrays the pool handed out (never arrays a caller
 * wrapped). Arrays are handed out zeroed, exactly like {@code new float[n]} (large ones zeroed by all
 * threads, {@link #ZERO_GRAIN} elements or more per thread), unless the caller asks for an array it
 * will overwrite entirely ({@link #take(int, boolean)}). The pool holds at most
 * {@code engram.cpu.poolBytes} bytes (default: a quarter of the maximum heap); beyond that the
 * longest-unused arrays are dropped for the garbage collector. Thread-safe.
 *
 * @param <A> {@code float[]} or {@code int[]}
 */
final class CpuArrayPool<A> {
    /** Smallest array (in elements, 64 KiB of floats) worth pooling. */
    static final int MIN_ELEMENTS = 1 << 14;

    /** Elements zeroed per thread at least when a recycled array is cleared. */
    static final int ZERO_GRAIN = 1 << 17;

    static final CpuArrayPool<float[]> FLOATS = new CpuArrayPool<>(float[]::new,
            a -> CpuParallel.forRange(a.length, ZERO_GRAIN, (from, to) -> Arrays.fill(a, from, to, 0f)),
            a -> a.length, capacityBytes());
    static final CpuArrayPool<int[]> INTS = new CpuArrayPool<>(int[]::new,
            a -> CpuParallel.forRange(a.length, ZERO_GRAIN, (from, to) -> Arrays.fill(a, from, to, 0)),
            a -> a.length, capacityBytes());

    private final java.util.function.IntFunction<A> create;
    private final java.util.function.Consumer<A> clear;
    private final java.util.function.ToIntFunction<A> length;
    private final long capacityBytes;
    private final Map<Integer, ArrayDeque<A>> bySize = new HashMap<>();
    /**
     * Pooled arrays, least recently released first (eviction order). Arrays do not override
     * {@code equals}/{@code hashCode}, so this set is keyed by identity and a take removes its array in O(1).
     */
    private final LinkedHashSet<A> byAge = new LinkedHashSet<>();
    private long pooledBytes;
    private long reused, created;

    CpuArrayPool(java.util.function.IntFunction<A> create, java.util.function.Consumer<A> clear,
                 java.util.function.ToIntFunction<A> length, long capacityBytes) {
        this.create = create;
        this.clear = clear;
        this.length = length;
        this.capacityBytes = capacityBytes;
    }

    private static long capacityBytes() {
        String p = System.getProperty("engram.cpu.poolBytes");
        if (p == null || p.isBlank()) return Runtime.getRuntime().maxMemory() / 4;
        try {
            long v = Long.parseLong(p.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("engram.cpu.poolBytes must be a byte count >= 0, got '" + p + "'");
    }

    /** Whether arrays of {@code n} elements go through the pool. */
    boolean pools(int n) {
        return n >= MIN_ELEMENTS && capacityBytes > 0;
    }

    /** A zeroed array of exactly {@code n} elements, recycled when one of that size is pooled. */
    A take(int n) {
        return take(n, true);
    }

    /**
     * An array of exactly {@code n} elements, recycled when one of that size is pooled; with
     * {@code zeroed} false a recycled array keeps what its previous user wrote, for a caller that
     * overwrites every element before reading any.
     */
    A take(int n, boolean zeroed) {
        if (pools(n)) {
            A a;
            synchronized (this) {
                ArrayDeque<A> q = bySize.get(n);
                a = q == null ? null : q.pollLast();
                if (a != null) {
                    byAge.remove(a);
                    pooledBytes -= 4L * n;
                    reused++;
                } else {
                    created++;
                }
            }
            if (a != null) {
                if (zeroed) clear.accept(a);
                return a;
            }
        }
        return create.apply(n);
    }

    /** Returns an array obtained from {@link #take} whose storage was freed; it must not be used afterwards. */
    void release(A a) {
        int n = length.applyAsInt(a);
        if (!pools(n) || 4L * n > capacityBytes) return;
        synchronized (this) {
            bySize.computeIfAbsent(n, k -> new ArrayDeque<>()).addLast(a);
            byAge.add(a);
            pooledBytes += 4L * n;
            while (pooledBytes > capacityBytes) {
                Iterator<A> oldest = byAge.iterator();
                A old = oldest.next();
                oldest.remove();
                int m = length.applyAsInt(old);
                bySize.get(m).removeFirstOccurrence(old); // the oldest of its size: at the front
                pooledBytes -= 4L * m;
            }
        }
    }

    /** Test hook: applies {@code action} to every array the pool holds now. */
    synchronized void forEachPooled(java.util.function.Consumer<A> action) {
        byAge.forEach(action);
    }

    /** Bytes held by the pool now. */
    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** Takes served from the pool and takes that had to allocate, since start. */
    synchronized long[] counts() {
        return new long[] {reused, created};
    }
}
