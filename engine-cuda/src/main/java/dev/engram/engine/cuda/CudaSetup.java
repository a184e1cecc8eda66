package dev.engram.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds, loads and initializes everything the CUDA backend needs, once per process, and
 * records exactly what failed. Nothing here throws: a missing driver, library or device, a
 * version mismatch or any {@link LinkageError} of the JCuda bindings becomes {@link #reason()}.
 *
 * <p>Order: platform, then locate {@code libcuda.so.1}, cuBLAS ({@code libcublas.so.12}, the
 * soname JCublas 12.6's natives link; where only cuBLAS 13 exists, {@code libcublas.so.13} plus
 * the forwarding {@code libcublas.so.12} shipped in this jar, see {@link CublasShim}), cuDNN
 * ({@code libcudnn.so.9}); load them by absolute
 * path so the JCuda natives' dependencies are satisfied by soname; then {@code cuInit}, the
 * driver version (at least CUDA 13.0, see {@link #MIN_DRIVER_VERSION}) and a device of compute capability 8.0 or newer (the
 * shipped kernels carry sm_80 and sm_90 code and compute_90 PTX).
 */
public final class CudaSetup {
    /**
     * Minimum driver API version: JCuda 12.6 needs CUDA 12, but the shipped fatbin is built by nvcc 13,
     * whose SASS and PTX (ISA 9.0) only an R580+ driver (CUDA 13.0) loads.
     */
    static final int MIN_DRIVER_VERSION = 13000;
    /** What the kernel image holds and needs, for messages and the doctor report. */
    static final String KERNEL_IMAGE = "sm_80 + sm_90 SASS, compute_90 PTX, built by nvcc 13: needs driver R580+ (CUDA 13.0)";
    /** Minimum compute capability (major*10+minor) the shipped fatbin runs on. */
    static final int MIN_COMPUTE_CAPABILITY = 80;
    /** A libcublas.so.12 smaller than this is a forwarding shim (the real library is ~100 MB). */
    static final long SHIM_SIZE_LIMIT = 8L << 20;

    private static volatile CudaSetup instance;

    private final List<String> lines = new ArrayList<>();
    private String reason;
    private NativeLibraryLocator.Found driver, cublas, cudnn;
    private int driverVersion = -1;
    private int deviceCount = -1;
    private long cudnnVersion = -1;
    private String cublasVersion = "";

    private CudaSetup() {}

    /** The process-wide result (computed on first use). */
    public static CudaSetup get() {
        CudaSetup s = instance;
        if (s == null) {
            synchronized (CudaSetup.class) {
                s = instance;
                if (s == null) {
                    s = new CudaSetup();
                    try {
                        s.run(NativeLibraryLocator.fromEnvironment());
                    } catch (Throwable t) { // never let a LinkageError or anything else escape
                        s.fail("unexpected " + t.getClass().getName() + " while setting up CUDA: " + t.getMessage());
                    }
                    instance = s;
                }
            }
        }
        return s;
    }

    /** Null when the backend can be created; otherwise one line saying why not. */
    public String reason() {
        return reason;
    }

    /** Human-readable findings, one per line (libraries, versions, devices). */
    public List<String> findings() {
        return List.copyOf(lines);
    }

    int driverVersion() {
        return driverVersion;
    }

    int deviceCount() {
        return deviceCount;
    }

    private void fail(String why) {
        if (reason == null) reason = why;
    }

    private void note(String line) {
        lines.add(line);
    }

    private void run(NativeLibraryLocator locator) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        note("platform: " + System.getProperty("os.name") + " " + arch + ", Java " + System.getProperty("java.version"));
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            fail("unsupported platform " + os + "/" + arch + ": the JCuda natives used here exist for linux-x86_64 only");
            return;
        }
        String searched = locator.searchedDescription();
        note("library search path: " + searched);

        driver = locator.find("libcuda.so.1").orElse(null);
        note("driver library: " + (driver == null ? "libcuda.so.1 not found" : driver));
        Optional<NativeLibraryLocator.Found> cublas12 = locator.find("libcublas.so.12");
        Optional<NativeLibraryLocator.Found> cublas13 = locator.find("libcublas.so.13");
        cudnn = locator.find("libcudnn.so.9").orElse(null);
        cublas = cublas12.orElse(null);
        boolean shim = cublas != null && fileSize(cublas) < SHIM_SIZE_LIMIT;
        boolean bundledShim = false;
        if (cublas == null && cublas13.isPresent() && !Boolean.getBoolean("engram.cuda.noBundledShim")) {
            try {
                cublas = new NativeLibraryLocator.Found("libcublas.so.12", CublasShim.extract(), "");
                shim = bundledShim = true;
            } catch (java.io.IOException | RuntimeException e) {
                fail("cuBLAS 13 found (" + cublas13.get().path() + ") but the bundled libcublas.so.12 forwarding shim "
                        + "could not be extracted: " + e.getMessage());
                return;
            }
        }
        note("cuBLAS: " + (cublas == null ? "libcublas.so.12 not found"
                : cublas + (bundledShim ? " [Engram's bundled forwarding shim to cuBLAS 13]" : shim ? " [forwarding shim]" : ""))
                + cublas13.map(f -> "; " + f).orElse(""));
        note("cuDNN: " + (cudnn == null ? "libcudnn.so.9 not found" : cudnn.toString()));

        if (driver == null) {
            fail("no NVIDIA driver: libcuda.so.1 not found in " + searched);
            return;
        }
        if (cublas == null) {
            fail(cublas13.isPresent()
                    ? "cuBLAS 13 found (" + cublas13.get().path() + ") but JCublas 12.6's natives link libcublas.so.12 and "
                      + "the bundled forwarding shim is switched off (-Dengram.cuda.noBundledShim)"
                    : "cuBLAS library libcublas.so.12 or libcublas.so.13 not found in " + searched);
            return;
        }
        if (shim && cublas13.isEmpty()) {
            fail("libcublas.so.12 at " + cublas.path() + " is a forwarding shim but libcublas.so.13 was not found in " + searched);
            return;
        }
        if (cudnn == null) {
            fail("cuDNN library libcudnn.so.9 not found in " + searched);
            return;
        }

        // Load by absolute path, dependencies first, so later dlopen()s by soname find them.
        List<NativeLibraryLocator.Found> order = new ArrayList<>();
        order.add(driver);
        if (shim) {
            NativeLibraryLocator.sibling(cublas13.get(), "libcublasLt.so.13").ifPresent(order::add);
            order.add(cublas13.get());
        } else {
            NativeLibraryLocator.sibling(cublas, "libcublasLt.so.12").or(() -> locator.find("libcublasLt.so.12"))
                    .ifPresent(order::add);
        }
        order.add(cublas);
        order.add(cudnn);
        for (NativeLibraryLocator.Found f : order) {
            try {
                System.load(f.path().toString());
            } catch (UnsatisfiedLinkError | SecurityException e) {
                fail("cannot load " + f.soname() + " from " + f.path() + ": " + e.getMessage());
                return;
            }
        }

        if (!initDriver()) return;
        initLibraries();
    }

    private boolean initDriver() {
        try {
            jcuda.driver.JCudaDriver.setExceptionsEnabled(false);
        } catch (Throwable e) {
            fail("JCuda driver binding (libJCudaDriver-12.6.0) failed to load: " + e);
            return false;
        }
        int rc = jcuda.driver.JCudaDriver.cuInit(0);
        if (rc != 0) {
            fail("cuInit failed with " + CudaDevice.errorName(rc) + " (driver " + driver.path()
                    + "): no usable GPU or the driver is not running");
            return false;
        }
        int[] v = new int[1];
        jcuda.driver.JCudaDriver.cuDriverGetVersion(v);
        driverVersion = v[0];
        note("driver API version: " + (driverVersion / 1000) + "." + (driverVersion % 1000 / 10));
        if (driverVersion < MIN_DRIVER_VERSION) {
            fail("driver supports CUDA " + (driverVersion / 1000) + "." + (driverVersion % 1000 / 10)
                    + " but the shipped kernels (" + KERNEL_IMAGE + ") need CUDA 13.0 or newer: update the NVIDIA driver to R580+");
            return false;
        }
        int[] count = new int[1];
        rc = jcuda.driver.JCudaDriver.cuDeviceGetCount(count);
        deviceCount = rc == 0 ? count[0] : 0;
        if (deviceCount == 0) {
            fail("no CUDA device" + (rc == 0 ? "" : " (cuDeviceGetCount: " + CudaDevice.errorName(rc) + ")"));
            return false;
        }
        boolean anyUsable = false;
        for (int d = 0; d < deviceCount; d++) {
            CudaDevice.Info info = CudaDevice.info(d);
            note("device " + d + ": " + info);
            if (info.computeCapability() >= MIN_COMPUTE_CAPABILITY) anyUsable = true;
        }
        if (!anyUsable) {
            fail("no device with compute capability 8.0 or newer (the shipped kernels target sm_80/sm_90)");
            return false;
        }
        return true;
    }

    private void initLibraries() {
        try {
            int[] major = new int[1], minor = new int[1], patch = new int[1];
            jcuda.jcublas.JCublas2.setExceptionsEnabled(false);
            jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.MAJOR_VERSION, major);
            jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.MINOR_VERSION, minor);
            jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.PATCH_LEVEL, patch);
            cublasVersion = major[0] + "." + minor[0] + "." + patch[0];
            note("cuBLAS version (loaded): " + cublasVersion);
        } catch (Throwable e) {
            fail("JCublas2 binding failed to load against " + cublas.path() + ": " + e);
            return;
        }
        try {
            jcuda.jcudnn.JCudnn.setExceptionsEnabled(false);
            cudnnVersion = jcuda.jcudnn.JCudnn.cudnnGetVersion();
            note("cuDNN version (loaded): " + cudnnVersion);
        } catch (Throwable e) {
            fail("JCudnn binding failed to load against " + cudnn.path() + ": " + e);
            return;
        }
        if (cudnnVersion < 90000) {
            fail("cuDNN " + cudnnVersion + " loaded but the JCudnn natives need cuDNN 9 (libcudnn.so.9)");
            return;
        }
        if (CudaSetup.class.getResource(CudaDevice.FATBIN_RESOURCE) == null) {
            fail("kernel image " + CudaDevice.FATBIN_RESOURCE + " missing from the class path (run engine-cuda/build-kernels.sh)");
            return;
        }
        try {
            CudaDevice.open(0);
            note("device 0: context, kernels, cuBLAS and cuDNN handles ready");
        } catch (RuntimeException | LinkageError e) {
            fail("initializing device 0 failed: " + e.getMessage());
        }
    }

    private static long fileSize(NativeLibraryLocator.Found f) {
        try {
            return java.nio.file.Files.size(f.path());
        } catch (java.io.IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
