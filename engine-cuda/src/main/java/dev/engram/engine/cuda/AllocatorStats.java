package dev.engram.engine.cuda;

/**
 * Counters of the caching allocator.
 *
 * @param allocatedBytes     bytes in blocks currently handed out (rounded sizes)
 * @param cachedBytes        bytes in free blocks kept for reuse
 * @param peakAllocatedBytes maximum of {@code allocatedBytes} since creation or the last reset
 * @param deviceAllocations  blocks obtained from the device (cache misses)
 * @param cacheHits          requests served from the cache
 * @param deviceReleases     blocks given back to the device (by {@code emptyCache} or under memory pressure)
 */
public record AllocatorStats(long allocatedBytes, long cachedBytes, long peakAllocatedBytes,
                             long deviceAllocations, long cacheHits, long deviceReleases) {
    /** Bytes held from the device: allocated plus cached. */
    public long reservedBytes() {
        return allocatedBytes + cachedBytes;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "allocated %.1f MiB, cached %.1f MiB, peak %.1f MiB, %d device allocations, %d cache hits, %d releases",
                allocatedBytes / 1048576.0, cachedBytes / 1048576.0, peakAllocatedBytes / 1048576.0,
                deviceAllocations, cacheHits, deviceReleases);
    }
}
