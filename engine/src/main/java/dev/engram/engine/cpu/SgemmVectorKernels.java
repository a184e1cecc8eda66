package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Chooses the Vector API SGEMM micro-kernel for this CPU: the 512-bit kernel where the preferred
 * species is 512 bits wide (AVX-512), the 256-bit kernel where it is 256 bits (AVX2), none below.
 * {@link Sgemm} calls {@link #preferred} reflectively, so the class is only loaded when
 * {@code jdk.incubator.vector} is present.
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
        if (width >= 512) return new SgemmVector512Kernel();
        if (width >= 256) return new SgemmVectorKernel();
        return null;
    }
}
