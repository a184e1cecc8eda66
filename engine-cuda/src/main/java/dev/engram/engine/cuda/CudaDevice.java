package dev.engram.engine.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One initialized GPU: its primary context (shared with the CUDA runtime inside cuBLAS and
 * cuDNN), the kernel module loaded from the shipped fatbin, cuBLAS and cuDNN handles and the
 * caching allocator. All work goes to the legacy default stream, so kernels, library calls and
 * copies are ordered and a device-to-host copy waits for everything before it.
 */
final class CudaDevice {
    static final String FATBIN_RESOURCE = "/dev/engram/engine/cuda/kernels.fatbin";
    /** A kernel resolved when the device opens, proving the loaded module usable. */
    static final String PROBE_KERNEL = "int_to_float";
    /**
     * {@code -Dengram.cuda.syncLaunches=true}: wait after every kernel launch, so an error names the
     * kernel that caused it instead of surfacing at a later call (slow; for debugging and first runs).
     */
    static final boolean SYNC_LAUNCHES = Boolean.getBoolean("engram.cuda.syncLaunches");

    private static final Map<Integer, CudaDevice> OPEN = new ConcurrentHashMap<>();

    /** Static facts about a device. */
    record Info(int ordinal, String name, int computeCapability, long totalMemory, int multiprocessors) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s, compute capability %d.%d, %.1f GiB, %d SMs", name,
                    computeCapability / 10, computeCapability % 10, totalMemory / 1073741824.0, multiprocessors);
        }
    }

    final int ordinal;
    final Info info;
    final CUcontext context = new CUcontext();
    final CUmodule module = new CUmodule();
    final cublasHandle cublas = new cublasHandle();
    final cudnnHandle cudnn = new cudnnHandle();
    final CachingAllocator<CUdeviceptr> allocator;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        this.info = info(ordinal);
        if (info.computeCapability() < CudaSetup.MIN_COMPUTE_CAPABILITY) {
            throw new IllegalStateException("cuda:" + ordinal + " (" + info + ") is older than compute capability 8.0");
        }
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        byte[] image = readFatbin();
        // cuModuleLoadData takes fat binaries too; JCuda's cuModuleLoadFatBinary never hands back the module it loaded.
        check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(" + FATBIN_RESOURCE + ")");
        function(PROBE_KERNEL); // a module that cannot resolve its kernels fails here, not at the first launch
        int rc = JCublas2.cublasCreate(cublas);
        if (rc != 0) throw new CudaException("cublasCreate failed: " + jcuda.jcublas.cublasStatus.stringFor(rc));
        rc = JCudnn.cudnnCreate(cudnn);
        if (rc != 0) throw new CudaException("cudnnCreate failed: " + JCudnn.cudnnGetErrorString(rc) + " (" + rc + ")");
        this.allocator = new CachingAllocator<>(new DriverMemory());
    }

    /** The device with this ordinal, initialized on first use. */
    static CudaDevice open(int ordinal) {
        return OPEN.computeIfAbsent(ordinal, CudaDevice::new);
    }

    static Info info(int ordinal) {
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, dev);
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        int[] major = new int[1], minor = new int[1], sms = new int[1];
        JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
        long[] total = new long[1];
        JCudaDriver.cuDeviceTotalMem(total, dev);
        return new Info(ordinal, new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8),
                major[0] * 10 + minor[0], total[0], sms[0]);
    }

    private static byte[] readFatbin() {
        try (InputStream in = CudaDevice.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) throw new IllegalStateException("kernel image " + FATBIN_RESOURCE + " not on the class path");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + FATBIN_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Makes this device's context current on the calling thread (cheap after the first call). */
    void makeCurrent() {
        if (!current.get()) {
            check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current.set(true);
        }
    }

    static String errorName(int rc) {
        String[] name = new String[1];
        try {
            JCudaDriver.cuGetErrorName(rc, name);
        } catch (Throwable e) {
            return "CUDA error " + rc;
        }
        return (name[0] == null ? "CUDA error" : name[0]) + " (" + rc + ")";
    }

    static void check(int rc, String what) {
        if (rc != 0) throw new CudaException(what + " failed: " + errorName(rc));
    }

    static void checkCublas(int rc, String what) {
        if (rc != 0) throw new CudaException(what + " failed: " + jcuda.jcublas.cublasStatus.stringFor(rc) + " (" + rc + ")");
    }

    static void checkCudnn(int rc, String what) {
        // cuDNN 9 renumbered its status codes; only the native string is reliable.
        if (rc != 0) throw new CudaException(what + " failed: " + JCudnn.cudnnGetErrorString(rc) + " (" + rc + ")");
    }

    CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    /**
     * Launches {@code kernel} on a 1-D grid. Arguments: {@link CUdeviceptr} (null for a null
     * pointer), Integer, Long, Float, Double, or int[] for a struct of ints passed by value.
     */
    void launch(String kernel, long blocks, int threads, Object... args) {
        if (blocks <= 0) return;
        makeCurrent();
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) params[i] = Pointer.to(new CUdeviceptr());
            else if (a instanceof CUdeviceptr p) params[i] = Pointer.to(p);
            else if (a instanceof Integer v) params[i] = Pointer.to(new int[] {v});
            else if (a instanceof Long v) params[i] = Pointer.to(new long[] {v});
            else if (a instanceof Float v) params[i] = Pointer.to(new float[] {v});
            else if (a instanceof Double v) params[i] = Pointer.to(new double[] {v});
            else if (a instanceof int[] v) params[i] = Pointer.to(v);
            else throw new IllegalArgumentException("kernel " + kernel + ": unsupported argument type " + a.getClass());
        }
        int grid = (int) Math.min(blocks, Integer.MAX_VALUE);
        check(JCudaDriver.cuLaunchKernel(function(kernel), grid, 1, 1, threads, 1, 1, 0, null, Pointer.to(params), null),
                "launch of kernel " + kernel);
        if (SYNC_LAUNCHES) check(JCudaDriver.cuCtxSynchronize(), "kernel " + kernel + " (grid " + grid + " x " + threads + ")");
    }

    /** Blocks until all queued work is done; surfaces asynchronous kernel errors. */
    void synchronize() {
        makeCurrent();
        check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /** cuMemAlloc / cuMemFree behind the caching allocator. */
    private final class DriverMemory implements DeviceMemory<CUdeviceptr> {
        @Override
        public CUdeviceptr allocate(long bytes) {
            makeCurrent();
            CUdeviceptr p = new CUdeviceptr();
            int rc = JCudaDriver.cuMemAlloc(p, bytes);
            if (rc == jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
                long[] free = new long[1], total = new long[1];
                JCudaDriver.cuMemGetInfo(free, total);
                throw new OutOfDeviceMemoryException("cuMemAlloc(" + bytes + ") on cuda:" + ordinal + ": "
                        + free[0] + " of " + total[0] + " bytes free");
            }
            check(rc, "cuMemAlloc(" + bytes + ")");
            return p;
        }

        @Override
        public void release(CUdeviceptr block, long bytes) {
            makeCurrent();
            check(JCudaDriver.cuMemFree(block), "cuMemFree");
        }
    }
}
