package dev.engram.engine.cpu;

import dev.engram.engine.DType;
import dev.engram.engine.Device;
import dev.engram.engine.spi.Storage;

/**
 * Host storage: a Java float[] or int[] array. Storage the backend allocates returns its array to
 * {@link CpuArrayPool} when freed (so no reference to the array may outlive {@link #free()});
 * storage wrapping a caller's array never does.
 */
public final class CpuStorage implements Storage {
    private float[] floats;
    private int[] ints;
    private final DType dtype;
    private final long length;
    private boolean freed;
    /** Whether the array came from {@link CpuArrayPool} and goes back there when freed. */
    private final boolean pooled;

    /** Storage of {@code length} zeros, its array recycled through {@link CpuArrayPool}. */
    static CpuStorage allocate(DType dtype, int length) {
        return allocate(dtype, length, true);
    }

    /**
     * Storage of {@code length} elements through {@link CpuArrayPool}: zeros when {@code zeroed},
     * else unspecified contents (a recycled array is not cleared) for an output written in full.
     */
    static CpuStorage allocate(DType dtype, int length, boolean zeroed) {
        return dtype == DType.INT32 ? new CpuStorage(CpuArrayPool.INTS.take(length, zeroed), true)
                : new CpuStorage(CpuArrayPool.FLOATS.take(length, zeroed), true);
    }

    CpuStorage(float[] data) {
        this(data, false);
    }

    CpuStorage(int[] data) {
        this(data, false);
    }

    private CpuStorage(float[] data, boolean pooled) {
        this.floats = data;
        this.pooled = pooled;
        this.dtype = DType.FLOAT32;
        this.length = data.length;
        CpuMemory.allocated(4L * length);
    }

    private CpuStorage(int[] data, boolean pooled) {
        this.ints = data;
        this.pooled = pooled;
        this.dtype = DType.INT32;
        this.length = data.length;
        CpuMemory.allocated(4L * length);
    }

    /** The backing float array; fails on a freed or int32 storage. */
    public float[] floats() {
        if (freed) throw new IllegalStateException("use of freed storage (float32, " + length + " elements)");
        if (floats == null) throw new IllegalStateException("storage is " + dtype.label() + ", expected float32");
        return floats;
    }

    /** The backing int array; fails on a freed or float32 storage. */
    public int[] ints() {
        if (freed) throw new IllegalStateException("use of freed storage (int32, " + length + " elements)");
        if (ints == null) throw new IllegalStateException("storage is " + dtype.label() + ", expected int32");
        return ints;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void free() {
        if (freed) return;
        CpuMemory.released(4L * length);
        freed = true;
        if (pooled && floats != null) CpuArrayPool.FLOATS.release(floats);
        if (pooled && ints != null) CpuArrayPool.INTS.release(ints);
        floats = null;
        ints = null;
    }

    @Override
    public boolean isFreed() {
        return freed;
    }
}
