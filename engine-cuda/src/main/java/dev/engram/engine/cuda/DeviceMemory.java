package dev.engram.engine.cuda;

/**
 * Raw device memory as the caching allocator sees it: allocate and release blocks of a given
 * byte size. The CUDA implementation calls {@code cuMemAlloc}/{@code cuMemFree}; tests use a
 * pure-Java fake.
 *
 * @param <P> the handle type of one block (a device pointer)
 */
public interface DeviceMemory<P> {
    /** Allocates {@code bytes}; throws {@link OutOfDeviceMemoryException} when the device is full. */
    P allocate(long bytes);

    /** Returns a block obtained from {@link #allocate}. */
    void release(P block, long bytes);

    /** Thrown by {@link #allocate} when the device has no room left for the request. */
    final class OutOfDeviceMemoryException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with a message naming the request. */
        public OutOfDeviceMemoryException(String message) {
            super(message);
        }
    }
}
