package dev.engram.engine;

import dev.engram.engine.cpu.CpuBackend;
import dev.engram.engine.spi.Backend;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the backend for a device. The CPU backend is built in; other backends (CUDA) are
 * discovered through {@link BackendProvider} services, so the core jar has no native dependency.
 */
public final class Backends {
    private static final Map<Device, Backend> CACHE = new ConcurrentHashMap<>();
    private static volatile Device defaultDevice = Device.CPU;

    private Backends() {}

    /** The backend for {@code device}; throws with the provider's reason when it is unavailable. */
    public static Backend get(Device device) {
        if (device.isCpu()) return CpuBackend.INSTANCE;
        Backend cached = CACHE.get(device);
        if (cached != null) return cached;
        StringBuilder reasons = new StringBuilder();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (!p.kind().equals(device.kind())) continue;
            String why = p.unavailableReason();
            if (why != null) {
                reasons.append(p.getClass().getSimpleName()).append(": ").append(why).append("; ");
                continue;
            }
            Backend b = p.create(device);
            CACHE.put(device, b);
            return b;
        }
        throw new IllegalStateException("no backend for device " + device + (reasons.length() == 0
                ? " (no provider on the class path; add the engram-engine-cuda module)" : ": " + reasons));
    }

    /** Whether a backend for {@code device} can be created, without throwing. */
    public static boolean available(Device device) {
        try {
            get(device);
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Device used by tensor factories that take none. */
    public static Device defaultDevice() {
        return defaultDevice;
    }

    /**
     * Sets, for all threads, the device of tensor factories that take none; the device's backend is created first, so
     * an unavailable device throws {@link IllegalStateException} and leaves the default unchanged.
     */
    public static void setDefaultDevice(Device device) {
        get(device);
        defaultDevice = device;
    }
}
