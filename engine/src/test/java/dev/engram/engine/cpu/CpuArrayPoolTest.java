package dev.engram.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.engine.DType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuArrayPoolTest {
    private static final int N = CpuArrayPool.MIN_ELEMENTS;

    private static CpuArrayPool<float[]> pool(long capacityBytes) {
        return new CpuArrayPool<>(float[]::new, a -> Arrays.fill(a, 0f), a -> a.length, capacityBytes);
    }

    @Test
    void recyclesReleasedArraysZeroedAndOfExactSize() {
        CpuArrayPool<float[]> pool = pool(1L << 30);
        float[] a = pool.take(N + 5);
        Arrays.fill(a, 3f);
        pool.release(a);
        assertThat(pool.pooledBytes()).isEqualTo(4L * (N + 5));
        float[] other = pool.take(N + 6);
        assertThat(other).isNotSameAs(a).hasSize(N + 6);
        float[] again = pool.take(N + 5);
        assertThat(again).isSameAs(a).containsOnly(0f);
        assertThat(pool.pooledBytes()).isZero();
        assertThat(pool.counts()).containsExactly(1, 2);
    }

    @Test
    void smallArraysAreNotPooled() {
        CpuArrayPool<float[]> pool = pool(1L << 30);
        float[] small = pool.take(N - 1);
        pool.release(small);
        assertThat(pool.pooledBytes()).isZero();
        assertThat(pool.take(N - 1)).isNotSameAs(small);
    }

    @Test
    void dropsTheLongestUnusedArraysBeyondItsCapacity() {
        CpuArrayPool<float[]> pool = pool(4L * N * 2);
        float[] first = pool.take(N), second = pool.take(N), third = pool.take(N);
        pool.release(first);
        pool.release(second);
        pool.release(third);
        assertThat(pool.pooledBytes()).isEqualTo(4L * N * 2);
        float[] x = pool.take(N), y = pool.take(N), z = pool.take(N);
        assertThat(x).isSameAs(third);
        assertThat(y).isSameAs(second);
        assertThat(z).isNotSameAs(first);
    }

    @Test
    void zeroCapacityDisablesPooling() {
        CpuArrayPool<float[]> pool = pool(0);
        float[] a = pool.take(N);
        pool.release(a);
        assertThat(pool.take(N)).isNotSameAs(a);
    }

    @Test
    void freedBackendStorageIsRecycledAndWrappedArraysNeverAre() {
        CpuBackend backend = CpuBackend.INSTANCE;
        CpuStorage s = (CpuStorage) backend.allocate(DType.FLOAT32, N + 11);
        float[] array = s.floats();
        Arrays.fill(array, -1f);
        s.free();
        CpuStorage t = (CpuStorage) backend.allocate(DType.FLOAT32, N + 11);
        assertThat(t.floats()).isSameAs(array).containsOnly(0f);
        t.free();

        float[] mine = new float[N + 13];
        backend.wrap(mine).free();
        CpuStorage u = (CpuStorage) backend.allocate(DType.FLOAT32, N + 13);
        assertThat(u.floats()).isNotSameAs(mine);
        u.free();

        CpuStorage ints = (CpuStorage) backend.allocate(DType.INT32, N + 17);
        int[] iarr = ints.ints();
        Arrays.fill(iarr, 9);
        ints.free();
        assertThat(((CpuStorage) backend.allocate(DType.INT32, N + 17)).ints()).isSameAs(iarr).containsOnly(0);
    }
}
