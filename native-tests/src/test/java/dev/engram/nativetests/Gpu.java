package dev.engram.nativetests;

import dev.engram.engine.Device;
import dev.engram.engine.cpu.CpuBackend;
import dev.engram.engine.cuda.CudaBackend;
import dev.engram.engine.spi.Backend;
import dev.engram.engine.cuda.CudaBackendProvider;
import org.junit.jupiter.api.Assumptions;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPU access for the native tests: aborts (SKIPPED, with the reason) when no GPU is usable.
 *
 * <p>With {@code -Dengram.nativetests.device=cpu} the CPU backend stands in for the device: every
 * native test then compares the CPU with itself, which checks the tests (their shapes, tolerances
 * and assertions such as "the loss goes down") without a GPU. With {@code =host} the kernel tests
 * run {@code kernels.cu} compiled for the CPU ({@link HostKernelBackend}); the tensor-level tests
 * then abort, since only the kernels are emulated.
 */
final class Gpu {
    /** The system property that selects the stand-in. */
    static final String DEVICE_PROPERTY = "engram.nativetests.device";
    static final boolean CPU_STAND_IN = "cpu".equalsIgnoreCase(System.getProperty(DEVICE_PROPERTY, ""));
    static final boolean HOST_KERNELS = "host".equalsIgnoreCase(System.getProperty(DEVICE_PROPERTY, ""));
    static final Device CUDA = CPU_STAND_IN || HOST_KERNELS ? Device.CPU : Device.cuda(0);
    /** How many mismatching elements an exact comparison lists. */
    private static final int REPORTED = 5;

    private Gpu() {}

    /** The CUDA backend of device 0 (or the CPU stand-in), or an aborted test naming why it is unavailable. */
    static Backend backend() {
        if (CPU_STAND_IN) return CpuBackend.INSTANCE;
        if (HOST_KERNELS) {
            String why = HostKernels.unavailableReason();
            if (why != null) Assumptions.abort("host-emulated kernels unavailable: " + why);
            return HostKernelBackend.create();
        }
        String reason = new CudaBackendProvider().unavailableReason();
        if (reason != null) Assumptions.abort("CUDA unavailable: " + reason);
        return dev.engram.engine.Backends.get(CUDA);
    }

    /** For tests through the tensor API: aborts without a device (or stand-in) behind {@link #CUDA}. */
    static void requireDevice() {
        if (HOST_KERNELS) Assumptions.abort("tensor-level test: the host emulation covers the kernels only");
        backend();
    }

    /** Sets the CUDA backend's TF32 and deterministic modes; nothing for the CPU stand-in. */
    static void configure(Backend b, boolean tf32, boolean deterministic) {
        if (b instanceof CudaBackend c) {
            c.setTf32(tf32);
            c.setDeterministic(deterministic);
        }
    }

    /**
     * Bit-for-bit equality (NaN equals NaN, {@code -0.0} differs from {@code +0.0}), reporting the
     * count and the first mismatches with a plain loop: linear time even for a 100k-element failure.
     */
    static void assertExact(String what, float[] expected, float[] actual) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        StringBuilder first = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) == Float.floatToIntBits(actual[i])) continue;
            if (bad++ < REPORTED) first.append("\n  [").append(i).append("] device ").append(actual[i]).append(", CPU ").append(expected[i]);
        }
        if (bad > 0) throw new AssertionError(what + ": " + bad + " of " + expected.length + " elements differ; first:" + first);
    }

    /** Integer version of {@link #assertExact(String, float[], float[])}. */
    static void assertExact(String what, int[] expected, int[] actual) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        StringBuilder first = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == actual[i]) continue;
            if (bad++ < REPORTED) first.append("\n  [").append(i).append("] device ").append(actual[i]).append(", CPU ").append(expected[i]);
        }
        if (bad > 0) throw new AssertionError(what + ": " + bad + " of " + expected.length + " elements differ; first:" + first);
    }

    static float[] values(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** Distinct values (no ties for max-type ops), shuffled. */
    static float[] distinct(SplittableRandom r, int n, double gap) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) ((k - n / 2.0) * gap);
        for (int k = n - 1; k > 0; k--) {
            int j = r.nextInt(k + 1);
            float t = v[k];
            v[k] = v[j];
            v[j] = t;
        }
        return v;
    }

    static int between(SplittableRandom r, int lo, int hi) {
        return lo + r.nextInt(hi - lo + 1);
    }

    /** |actual - expected| <= atol + rtol * |expected| element-wise, reporting the worst element. */
    static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            double excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            throw new AssertionError(what + ": element " + worst + " is " + actual[worst] + " on CUDA, " + expected[worst]
                    + " on the CPU (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    /** Within {@code ulps} units in the last place of the CPU value. */
    static void assertUlps(String what, float[] expected, float[] actual, int ulps) {
        assertUlps(what, expected, actual, ulps, false);
    }

    /**
     * {@link #assertUlps(String, float[], float[], int)}; an infinity must be matched by the same infinity, and with
     * {@code signedZeros} two zeros must have the same sign.
     */
    static void assertUlps(String what, float[] expected, float[] actual, int ulps, boolean signedZeros) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) && Float.isNaN(actual[i])) continue;
            // 0 against the smallest subnormal stays within the ulps; two zeros must have the same sign
            boolean strict = Float.isInfinite(expected[i]) || Float.isInfinite(actual[i])
                    || (signedZeros && expected[i] == 0f && actual[i] == 0f);
            if (strict && Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " on CUDA, " + expected[i]
                        + " on the CPU");
            }
            if (expected[i] == actual[i]) continue;
            float tol = ulps * Math.ulp(expected[i]);
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " on CUDA, " + expected[i]
                        + " on the CPU (more than " + ulps + " ulp apart)");
            }
        }
    }
}
