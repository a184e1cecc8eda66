package dev.engram.engine.cpu;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of host tensor storage: allocated minus explicitly freed (scopes free deterministically;
 * storage left to the garbage collector stays counted), and the peak of that since the last
 * {@link #resetPeak()}. Inside a tensor scope this is the CPU counterpart of a device allocator's
 * statistics: the peak over a training step measures the step's working memory.
 */
public final class CpuMemory {
    private static final AtomicLong LIVE = new AtomicLong();
    private static final AtomicLong PEAK = new AtomicLong();

    private CpuMemory() {}

    static void allocated(long bytes) {
        long now = LIVE.addAndGet(bytes);
        PEAK.accumulateAndGet(now, Math::max);
    }

    static void released(long bytes) {
        LIVE.addAndGet(-bytes);
    }

    /** Bytes allocated and not freed. */
    public static long liveBytes() {
        return LIVE.get();
    }

    /** Highest {@link #liveBytes()} since the last reset. */
    public static long peakBytes() {
        return PEAK.get();
    }

    /** Starts a new peak window at the current live size. */
    public static void resetPeak() {
        PEAK.set(LIVE.get());
    }
}
