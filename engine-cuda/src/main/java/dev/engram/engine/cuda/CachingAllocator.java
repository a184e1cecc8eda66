package dev.engram.engine.cuda;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A size-bucketed caching allocator in the manner of PyTorch's: requests are rounded up to a
 * bucket size, freed blocks go to a free list per bucket, and the device is asked for memory
 * only when the bucket is empty. When the device is full, all cached blocks are released and
 * the request is retried once.
 *
 * <p>Bucket sizes: at least {@value #MIN_BLOCK} bytes; multiples of {@value #MIN_BLOCK} below
 * {@value #SMALL_LIMIT} bytes; above, each power-of-two interval is split into
 * {@value #DIVISIONS} equal steps (so at most 25% is wasted). Blocks are never split, which
 * keeps the bookkeeping simple and every block's lifetime independent.
 *
 * <p>Thread-safe: storages may be returned from a cleaner thread.
 *
 * @param <P> device pointer type
 */
public final class CachingAllocator<P> {
    /** Smallest block and the rounding unit below {@link #SMALL_LIMIT}. */
    public static final long MIN_BLOCK = 512;
    /** Requests below this round to a multiple of {@link #MIN_BLOCK}. */
    public static final long SMALL_LIMIT = 1L << 20;
    /** Steps per power-of-two interval for large requests. */
    public static final int DIVISIONS = 4;

    /** One block handed out by the allocator. */
    public static final class Block<P> {
        private final P pointer;
        private final long bytes;

        Block(P pointer, long bytes) {
            this.pointer = pointer;
            this.bytes = bytes;
        }

        /** The device pointer. */
        public P pointer() {
            return pointer;
        }

        /** The rounded size in bytes. */
        public long bytes() {
            return bytes;
        }
    }

    private final DeviceMemory<P> memory;
    private final TreeMap<Long, ArrayDeque<Block<P>>> free = new TreeMap<>();
    private long allocated;
    private long cached;
    private long peak;
    private long deviceAllocations;
    private long hits;
    private long releases;

    /** An empty cache that takes its blocks from {@code memory} and returns them there when released. */
    public CachingAllocator(DeviceMemory<P> memory) {
        this.memory = memory;
    }

    /** The bucket size a request of {@code bytes} is served from. */
    public static long roundSize(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("allocation of negative size " + bytes);
        if (bytes <= MIN_BLOCK) return MIN_BLOCK;
        if (bytes < SMALL_LIMIT) return (bytes + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK;
        long pow = Long.highestOneBit(bytes);
        if (pow == bytes) return bytes;
        long step = pow / DIVISIONS;
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} bytes, from the cache when possible. */
    public synchronized Block<P> allocate(long bytes) {
        long size = roundSize(bytes);
        ArrayDeque<Block<P>> list = free.get(size);
        Block<P> block;
        if (list != null && !list.isEmpty()) {
            block = list.pop();
            cached -= size;
            hits++;
        } else {
            P p;
            try {
                p = memory.allocate(size);
            } catch (DeviceMemory.OutOfDeviceMemoryException e) {
                if (cached == 0) throw oom(bytes, size, e);
                emptyCache();
                try {
                    p = memory.allocate(size);
                } catch (DeviceMemory.OutOfDeviceMemoryException again) {
                    throw oom(bytes, size, again);
                }
            }
            deviceAllocations++;
            block = new Block<>(p, size);
        }
        allocated += size;
        peak = Math.max(peak, allocated);
        return block;
    }

    private DeviceMemory.OutOfDeviceMemoryException oom(long bytes, long size, RuntimeException cause) {
        var e = new DeviceMemory.OutOfDeviceMemoryException("out of device memory: tried to allocate " + bytes
                + " bytes (bucket " + size + "); " + stats() + "; device said: " + cause.getMessage());
        e.initCause(cause);
        return e;
    }

    /** Returns a block to its bucket's free list (the device memory stays reserved). */
    public synchronized void release(Block<P> block) {
        allocated -= block.bytes;
        cached += block.bytes;
        free.computeIfAbsent(block.bytes, k -> new ArrayDeque<>()).push(block);
    }

    /** Gives every cached block back to the device. */
    public synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<Block<P>>> e : free.entrySet()) {
            for (Block<P> b : e.getValue()) {
                memory.release(b.pointer, b.bytes);
                releases++;
            }
        }
        free.clear();
        cached = 0;
    }

    /** Current counters. */
    public synchronized AllocatorStats stats() {
        return new AllocatorStats(allocated, cached, peak, deviceAllocations, hits, releases);
    }

    /** Restarts peak tracking from the current allocation. */
    public synchronized void resetPeak() {
        peak = allocated;
    }
}
