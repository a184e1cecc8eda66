package dev.engram.memorization.cli;

import dev.engram.engine.Backends;
import dev.engram.engine.Device;
import dev.engram.engine.cpu.CpuParallel;
import picocli.CommandLine.Option;

/**
 * The options every compute command shares: {@code --device cpu|cuda|cuda:N} and {@code --threads N}. Mixed into
 * subcommands with {@code @Mixin}; {@link #apply()} validates them and configures the engine.
 */
public final class RuntimeOptions {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            description = "Compute device: cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "CPU worker threads; 0 = all available cores (default: ${DEFAULT-VALUE}).")
    int threads;

    /**
     * The parsed device.
     *
     * @throws UsageException for a malformed {@code --device}
     */
    public Device device() {
        return UsageException.validate("--device", () -> Device.parse(device));
    }

    /** Requested CPU threads (0 = all cores). */
    public int threads() {
        return threads;
    }

    /** The thread count to use: {@code --threads}, or all available cores when 0. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Validates the options and configures the engine: CPU worker threads, and the default device (for CUDA this
     * creates the backend, so an unusable GPU is reported here with the backend's reason).
     *
     * @throws UsageException       for a malformed device or a negative thread count
     * @throws IllegalStateException when the device's backend is unavailable
     */
    public Device apply() {
        if (threads < 0) throw new UsageException("--threads must be >= 0 (0 = all cores), got " + threads);
        Device d = device();
        CpuParallel.setThreads(effectiveThreads());
        Backends.setDefaultDevice(d);
        return d;
    }
}
