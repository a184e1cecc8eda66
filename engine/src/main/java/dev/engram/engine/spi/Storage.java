package dev.engram.engine.spi;

import dev.engram.engine.DType;
import dev.engram.engine.Device;

/**
 * A flat buffer of elements owned by one backend. Host storage is garbage collected; device
 * storage is released by {@link #free()} (normally through a tensor scope).
 */
public interface Storage {
    /** The device holding the elements. */
    Device device();

    /** The element type. */
    DType dtype();

    /** Number of elements. */
    long length();

    /** Releases the memory; any later kernel call on it fails. Idempotent. */
    void free();

    /** Whether {@link #free()} has been called. */
    boolean isFreed();
}
