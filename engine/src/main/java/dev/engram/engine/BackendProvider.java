package dev.engram.engine;

import dev.engram.engine.spi.Backend;

/** Service interface through which non-CPU backends register (see {@link java.util.ServiceLoader}). */
public interface BackendProvider {
    /** Device kind served, e.g. "cuda". */
    String kind();

    /** Null when usable; otherwise a one-line reason (missing driver, library, no GPU). */
    String unavailableReason();

    /**
     * Creates the backend of {@code device} (of this provider's {@link #kind()}); {@link Backends#get} calls it only
     * when {@link #unavailableReason()} is null, once per device, and caches the result.
     */
    Backend create(Device device);
}
