package dev.engram.engine.cuda;

import dev.engram.engine.DType;
import dev.engram.engine.Device;
import dev.engram.engine.spi.Storage;
import jcuda.driver.CUdeviceptr;

import java.lang.ref.Cleaner;

/**
 * Device storage: a block of the caching allocator. {@link #free()} (normally called by a
 * tensor scope) returns the block to the allocator's cache; a storage that becomes unreachable
 * without being freed is returned by a cleaner.
 */
public final class CudaStorage implements Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Device device;
    private final DType dtype;
    private final long length;
    private final CUdeviceptr pointer;
    private final Releaser releaser;
    private final Cleaner.Cleanable cleanable;

    /** Returns the block exactly once, whether through free() or the cleaner. */
    private static final class Releaser implements Runnable {
        private final CachingAllocator<CUdeviceptr> allocator;
        private final CachingAllocator.Block<CUdeviceptr> block;
        private volatile boolean released;

        Releaser(CachingAllocator<CUdeviceptr> allocator, CachingAllocator.Block<CUdeviceptr> block) {
            this.allocator = allocator;
            this.block = block;
        }

        @Override
        public void run() {
            released = true;
            allocator.release(block);
        }
    }

    CudaStorage(Device device, DType dtype, long length, CachingAllocator<CUdeviceptr> allocator) {
        if (length < 0) throw new IllegalArgumentException("negative storage length " + length);
        this.device = device;
        this.dtype = dtype;
        this.length = length;
        CachingAllocator.Block<CUdeviceptr> block = allocator.allocate(Math.max(1, length) * dtype.bytes());
        this.pointer = block.pointer();
        this.releaser = new Releaser(allocator, block);
        this.cleanable = CLEANER.register(this, releaser);
    }

    /** The device pointer to element {@code offset}; fails on a freed storage. */
    CUdeviceptr pointer(long offset) {
        if (releaser.released) {
            throw new IllegalStateException("use of freed CUDA storage (" + dtype.label() + ", " + length + " elements)");
        }
        return offset == 0 ? pointer : pointer.withByteOffset(offset * dtype.bytes());
    }

    CUdeviceptr pointer() {
        return pointer(0);
    }

    @Override
    public Device device() {
        return device;
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
        cleanable.clean();
    }

    @Override
    public boolean isFreed() {
        return releaser.released;
    }

    @Override
    public String toString() {
        return "CudaStorage[" + device + ", " + dtype.label() + ", " + length + (isFreed() ? ", freed]" : "]");
    }
}
