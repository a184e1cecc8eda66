package dev.engram.nativetests;

import dev.engram.engine.cpu.CpuStorage;
import dev.engram.engine.spi.Storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code engine-cuda/src/main/cuda/kernels.cu}, unmodified, on the CPU: the source is
 * compiled with g++ under a small emulation of the CUDA built-ins
 * ({@code engine-cuda/src/test/native/cuda_host.h}) into a driver program, and each launch is
 * handed to it as a job file holding the buffers and the arguments; the buffers come back into
 * the CPU storages. No JNI: one short process per launch.
 */
final class HostKernels {
    private static final Path SOURCES = Path.of("../engine-cuda/src");
    private static final Path DRIVER = Path.of("target/host-kernels/host_driver");
    private static String reason;
    private static boolean built;

    /** A pointer argument: a CPU storage (null for a null pointer) and an element offset. */
    record Ptr(Storage storage, long offset) {}

    private HostKernels() {}

    /** Null when the driver is built; otherwise why the host kernels cannot run. */
    static synchronized String unavailableReason() {
        if (built || reason != null) return reason;
        String gxx = System.getenv().getOrDefault("CXX", "g++");
        try {
            Files.createDirectories(DRIVER.getParent());
            Process p = new ProcessBuilder(gxx, "-std=c++20", "-O1", "-ffp-contract=off", "-pthread", "-o", DRIVER.toString(),
                    SOURCES.resolve("test/native/host_driver.cpp").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                reason = gxx + " failed to compile the host kernels:\n" + out;
            } else {
                built = true;
            }
        } catch (IOException e) {
            reason = "no C++ compiler '" + gxx + "' (install g++ or set CXX) to compile kernels.cu for the host: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = "interrupted while compiling the host kernels";
        }
        return reason;
    }

    /**
     * Launches {@code kernel} on a 1-D grid, as {@code CudaDevice.launch}: arguments are {@link Ptr},
     * Integer, Long, Float, Double or int[] (a struct of ints by value).
     */
    static void launch(String kernel, long blocks, int threads, Object... args) {
        if (blocks <= 0) return;
        if (unavailableReason() != null) throw new IllegalStateException(reason);
        Map<Storage, Integer> index = new IdentityHashMap<>();
        List<Storage> buffers = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof Ptr p && p.storage() != null && !index.containsKey(p.storage())) {
                index.put(p.storage(), buffers.size());
                buffers.add(p.storage());
            }
        }
        long words = 0;
        for (Storage s : buffers) words += s.length();
        ByteBuffer b = ByteBuffer.allocate((int) (64 + words * 4 + 8L * buffers.size() + kernel.length() + 16L * args.length + 256))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(buffers.size());
        for (Storage s : buffers) {
            b.putLong(s.length());
            CpuStorage c = (CpuStorage) s;
            if (c.dtype() == dev.engram.engine.DType.INT32) for (int v : c.ints()) b.putInt(v);
            else for (float v : c.floats()) b.putInt(Float.floatToRawIntBits(v));
        }
        b.putInt(1);
        byte[] name = kernel.getBytes(StandardCharsets.US_ASCII);
        b.putInt(name.length).put(name).putLong(blocks).putInt(threads).putInt(args.length);
        for (Object a : args) {
            if (a == null) b.put((byte) 'p').putInt(-1).putLong(0);
            else if (a instanceof Ptr p) b.put((byte) 'p').putInt(p.storage() == null ? -1 : index.get(p.storage())).putLong(p.offset());
            else if (a instanceof Integer v) b.put((byte) 'i').putInt(v);
            else if (a instanceof Long v) b.put((byte) 'l').putLong(v);
            else if (a instanceof Float v) b.put((byte) 'f').putFloat(v);
            else if (a instanceof Double v) b.put((byte) 'd').putDouble(v);
            else if (a instanceof int[] v) {
                b.put((byte) 's').putInt(v.length);
                for (int x : v) b.putInt(x);
            } else throw new IllegalArgumentException("kernel " + kernel + ": unsupported argument " + a.getClass());
        }
        try {
            Path dir = Files.createTempDirectory(DRIVER.getParent(), "job");
            Path job = dir.resolve("job"), out = dir.resolve("out");
            Files.write(job, java.util.Arrays.copyOf(b.array(), b.position()));
            Process p = new ProcessBuilder(DRIVER.toAbsolutePath().toString(), job.toString(), out.toString())
                    .redirectErrorStream(true).start();
            String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("host kernel " + kernel + " did not finish in 120 s");
            }
            if (p.exitValue() != 0) throw new IllegalStateException("host kernel " + kernel + " failed (" + p.exitValue() + "): " + msg);
            ByteBuffer r = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            for (Storage s : buffers) {
                CpuStorage c = (CpuStorage) s;
                if (c.dtype() == dev.engram.engine.DType.INT32) {
                    int[] v = c.ints();
                    for (int i = 0; i < v.length; i++) v[i] = r.getInt();
                } else {
                    float[] v = c.floats();
                    for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(r.getInt());
                }
            }
            Files.delete(job);
            Files.delete(out);
            Files.delete(dir);
        } catch (IOException e) {
            throw new IllegalStateException("host kernel " + kernel + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
