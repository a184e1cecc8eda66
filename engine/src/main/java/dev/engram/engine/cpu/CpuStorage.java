package dev.engram.engine.cpu;

import dev.engram.engine.DType;
import dev.engram.engine.Device;
import dev.engram.engine.spi.Storage;

/** Host storage: a Java float[] or int[] array. */
public final class CpuStorage implements Storage {
    private float[] floats;
    private int[] ints;
    private final DType dtype;
    private final long length;
    private boolean freed;

    CpuStorage(float[] data) {
        this.floats = data;
        this.dtype = DType.FLOAT32;
        this.length = data.length;
        CpuMemory.allocated(4L * length);
    }

    CpuStorage(int[] data) {
        this.ints = data;
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
        if (!freed) CpuMemory.released(4L * length);
        freed = true;
        floats = null;
        ints = null;
    }

    @Override
    public boolean isFreed() {
        return freed;
    }
}
