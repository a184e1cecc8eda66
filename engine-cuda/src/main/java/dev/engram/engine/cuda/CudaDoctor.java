package dev.engram.engine.cuda;

/**
 * Diagnoses the CUDA setup: platform, where each library was found (path and version), driver
 * version, each GPU's name, compute capability and memory, and, if the GPU cannot be used,
 * exactly why. {@code java -cp ... dev.engram.engine.cuda.CudaDoctor} prints the report;
 * {@code engram doctor} calls {@link #report()}.
 */
public final class CudaDoctor {
    private CudaDoctor() {}

    /** The multi-line report; never throws. */
    public static String report() {
        StringBuilder sb = new StringBuilder("CUDA backend diagnosis\n");
        String override = System.getenv("ENGRAM_CUDA_LIB_PATH");
        sb.append("  ENGRAM_CUDA_LIB_PATH: ").append(override == null ? "(not set)" : override).append('\n');
        String ld = System.getenv("LD_LIBRARY_PATH");
        sb.append("  LD_LIBRARY_PATH: ").append(ld == null ? "(not set)" : ld).append('\n');
        String reason;
        try {
            CudaSetup setup = CudaSetup.get();
            for (String line : setup.findings()) sb.append("  ").append(line).append('\n');
            reason = setup.reason();
        } catch (Throwable t) {
            reason = "CUDA setup failed: " + t;
        }
        sb.append("  kernel image: ").append(CudaDoctor.class.getResource(CudaDevice.FATBIN_RESOURCE) == null
                ? "MISSING " + CudaDevice.FATBIN_RESOURCE : CudaDevice.FATBIN_RESOURCE + " (" + CudaSetup.KERNEL_IMAGE + ")").append('\n');
        sb.append("  options: tf32=").append(Boolean.getBoolean("engram.cuda.tf32")).append(", deterministic=")
                .append(!"false".equalsIgnoreCase(System.getProperty("engram.cuda.deterministic")))
                .append(", syncLaunches=").append(Boolean.getBoolean("engram.cuda.syncLaunches")).append('\n');
        if (reason == null) sb.append("CUDA: usable\n");
        else sb.append("CUDA: unavailable: ").append(reason).append('\n');
        return sb.toString();
    }

    /** Prints {@link #report()}; exit status 0 when CUDA is usable, 1 otherwise. */
    public static void main(String[] args) {
        String r = report();
        System.out.print(r);
        System.exit(CudaSetup.get().reason() == null ? 0 : 1);
    }
}
