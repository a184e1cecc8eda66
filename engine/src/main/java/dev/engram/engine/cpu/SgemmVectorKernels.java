package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Chooses the Vector API SGEMM micro-kernel for this CPU: the 512-bit kernel where the preferred
 * species is 512 bits wide (AVX-512), the 256-bit kernel where it is 256 bits (AVX2), none below.
 * {@link Sgemm} calls {@link #preferred} reflectively, so the class is only loaded when
 * {@code jdk.incubator.vector} is present. The chosen kernel is warmed up on a background daemon
 * thread ({@link SgemmVectorTileKernel#warmUp}; {@code -Dengram.sgemm.warmup=false} turns that off).
 */
final class SgemmVectorKernels {
    private SgemmVectorKernels() {}

    /**
     * The kernel for {@code bits} (256 or 512) when given, else for the CPU's preferred vector
     * width; {@code null} when the CPU has no 256-bit vectors.
     *
     * @throws IllegalArgumentException when {@code bits} is neither 256 nor 512
     */
    static SgemmKernel preferred(Integer bits) {
        int width = bits != null ? bits : FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits != null && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("engram.sgemm.vectorBits must be 256 or 512, got " + bits);
        }
        SgemmVectorTileKernel k = width >= 512 ? new SgemmVector512Kernel() : width >= 256 ? new SgemmVectorKernel() : null;
        // warm up only a width the CPU runs natively (a wider species is emulated, never compiled to SIMD)
        boolean native_ = width <= FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (k != null && native_ && !"false".equals(System.getProperty("engram.sgemm.warmup"))) {
            Thread t = new Thread(k::warmUp, "engram-sgemm-warmup");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            t.start();
        }
        return k;
    }
}
