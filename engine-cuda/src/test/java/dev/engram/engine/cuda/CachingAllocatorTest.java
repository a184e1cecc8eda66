package dev.engram.engine.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bucket logic of the caching allocator against a fake device with a byte budget. */
class CachingAllocatorTest {
    /** A fake device: hands out increasing addresses and tracks live bytes against a capacity. */
    static final class FakeDevice implements DeviceMemory<Long> {
        final long capacity;
        long live, next = 0x1000, mallocs, frees;
        final Map<Long, Long> blocks = new HashMap<>();

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public Long allocate(long bytes) {
            if (live + bytes > capacity) throw new OutOfDeviceMemoryException("fake device full: " + live + "+" + bytes);
            live += bytes;
            mallocs++;
            long p = next;
            next += bytes;
            blocks.put(p, bytes);
            return p;
        }

        @Override
        public void release(Long block, long bytes) {
            Long size = blocks.remove(block);
            assertThat(size).as("released block was allocated with the same size").isEqualTo(bytes);
            live -= bytes;
            frees++;
        }
    }

    @Test
    void roundsSmallRequestsToMultiplesOf512() {
        assertThat(CachingAllocator.roundSize(0)).isEqualTo(512);
        assertThat(CachingAllocator.roundSize(1)).isEqualTo(512);
        assertThat(CachingAllocator.roundSize(512)).isEqualTo(512);
        assertThat(CachingAllocator.roundSize(513)).isEqualTo(1024);
        assertThat(CachingAllocator.roundSize(1_000_000)).isEqualTo(1_000_448);
    }

    @Test
    void roundsLargeRequestsToQuarterPowerOfTwoSteps() {
        long mib = 1 << 20;
        assertThat(CachingAllocator.roundSize(mib)).isEqualTo(mib);
        assertThat(CachingAllocator.roundSize(mib + 1)).isEqualTo(mib + mib / 4);
        assertThat(CachingAllocator.roundSize(3 * mib + 5)).isEqualTo(3 * mib + mib / 2);
        assertThat(CachingAllocator.roundSize(7 * mib)).isEqualTo(7 * mib);
        assertThat(CachingAllocator.roundSize(100L << 30)).isEqualTo(112L << 30); // 64 GiB + 3 x 16 GiB
    }

    @ParameterizedTest(name = "bytes={0}")
    @ValueSource(longs = {1, 511, 4097, 1 << 20, (1 << 20) + 1, 5_000_000, 123_456_789, 3L << 33})
    void bucketCoversRequestWastingAtMostAQuarter(long bytes) {
        long r = CachingAllocator.roundSize(bytes);
        assertThat(r).isGreaterThanOrEqualTo(bytes).isGreaterThanOrEqualTo(CachingAllocator.MIN_BLOCK);
        if (bytes >= CachingAllocator.SMALL_LIMIT) assertThat((double) r / bytes).isLessThanOrEqualTo(1.25);
        else assertThat(r - bytes).isLessThan(CachingAllocator.MIN_BLOCK);
        assertThat(CachingAllocator.roundSize(r)).as("bucket sizes are fixed points").isEqualTo(r);
    }

    @Test
    void reusesFreedBlocksOfTheSameBucketWithoutTouchingTheDevice() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        var b1 = a.allocate(1000);
        a.release(b1);
        var b2 = a.allocate(900); // same 1024-byte bucket
        assertThat(b2.pointer()).isEqualTo(b1.pointer());
        assertThat(dev.mallocs).isEqualTo(1);
        var b3 = a.allocate(5000); // other bucket: a miss
        assertThat(b3.pointer()).isNotEqualTo(b1.pointer());
        assertThat(dev.mallocs).isEqualTo(2);
        AllocatorStats s = a.stats();
        assertThat(s.allocatedBytes()).isEqualTo(1024 + 5120);
        assertThat(s.cachedBytes()).isZero();
        assertThat(s.cacheHits()).isEqualTo(1);
        assertThat(s.deviceAllocations()).isEqualTo(2);
    }

    @Test
    void tracksAllocatedCachedAndPeakBytes() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        List<CachingAllocator.Block<Long>> held = new ArrayList<>();
        for (int i = 0; i < 10; i++) held.add(a.allocate(2048));
        assertThat(a.stats().peakAllocatedBytes()).isEqualTo(20480);
        for (int i = 0; i < 6; i++) a.release(held.remove(0));
        AllocatorStats s = a.stats();
        assertThat(s.allocatedBytes()).isEqualTo(4 * 2048);
        assertThat(s.cachedBytes()).isEqualTo(6 * 2048);
        assertThat(s.reservedBytes()).isEqualTo(dev.live);
        assertThat(s.peakAllocatedBytes()).isEqualTo(20480);
        a.resetPeak();
        assertThat(a.stats().peakAllocatedBytes()).isEqualTo(4 * 2048);
    }

    @Test
    void emptyCacheReturnsEveryCachedBlockToTheDevice() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        var keep = a.allocate(100);
        for (long size : new long[] {100, 3000, 3_000_000}) a.release(a.allocate(size));
        assertThat(dev.live).isEqualTo(512 + 512 + 3072 + 3_145_728);
        a.emptyCache();
        assertThat(dev.live).isEqualTo(512);
        assertThat(dev.frees).isEqualTo(3);
        assertThat(a.stats().cachedBytes()).isZero();
        assertThat(a.stats().deviceReleases()).isEqualTo(3);
        a.release(keep);
        assertThat(a.stats().allocatedBytes()).isZero();
    }

    @Test
    void outOfMemoryReleasesTheCacheAndRetriesOnce() {
        FakeDevice dev = new FakeDevice(8192);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        a.release(a.allocate(4096));
        a.release(a.allocate(2048));
        // 6 KiB cached; a 4 KiB+1 request (bucket 4608) does not fit next to them but fits after emptying
        var big = a.allocate(4097);
        assertThat(big.bytes()).isEqualTo(4608);
        assertThat(a.stats().cachedBytes()).isZero();
        assertThat(dev.live).isEqualTo(4608);
    }

    @Test
    void outOfMemoryWithNothingCachedNamesTheRequest() {
        FakeDevice dev = new FakeDevice(4096);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        a.allocate(4096);
        assertThatThrownBy(() -> a.allocate(100))
                .isInstanceOf(DeviceMemory.OutOfDeviceMemoryException.class)
                .hasMessageContaining("tried to allocate 100 bytes")
                .hasMessageContaining("allocated 0.0 MiB");
    }

    @Test
    void rejectsNegativeSizes() {
        assertThatThrownBy(() -> CachingAllocator.roundSize(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }
}
