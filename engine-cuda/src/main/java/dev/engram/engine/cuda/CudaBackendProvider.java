package dev.engram.engine.cuda;

import dev.engram.engine.BackendProvider;
import dev.engram.engine.Device;
import dev.engram.engine.spi.Backend;

/**
 * Registers the CUDA backend with {@link dev.engram.engine.Backends} (service file
 * {@code META-INF/services/dev.engram.engine.BackendProvider}). Never throws a
 * {@link LinkageError}: when the driver, a library or a device is missing, the reason comes
 * back from {@link #unavailableReason()} and {@code Backends.get(Device.cuda(0))} throws an
 * {@link IllegalStateException} quoting it.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String kind() {
        return "cuda";
    }

    @Override
    public String unavailableReason() {
        try {
            return CudaSetup.get().reason();
        } catch (Throwable t) { // CudaSetup already catches; this is the last line of defence
            return "CUDA setup failed: " + t;
        }
    }

    @Override
    public Backend create(Device device) {
        if (!device.kind().equals("cuda")) throw new IllegalArgumentException("CUDA provider asked for " + device);
        try {
            return CudaBackend.create(device.index());
        } catch (LinkageError e) {
            throw new IllegalStateException("CUDA backend for " + device + " failed to load: " + e, e);
        }
    }
}
