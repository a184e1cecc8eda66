package dev.engram.nativetests;

import dev.engram.engine.Device;
import dev.engram.engine.cuda.CudaBackend;
import dev.engram.engine.cuda.CudaBackendProvider;
import org.junit.jupiter.api.Assumptions;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** GPU access for the native tests: aborts (SKIPPED, with the reason) when no GPU is usable. */
final class Gpu {
    static final Device CUDA = Device.cuda(0);

    private Gpu() {}

    /** The CUDA backend of device 0, or an aborted test naming why it is unavailable. */
    static CudaBackend backend() {
        String reason = new CudaBackendProvider().unavailableReason();
        if (reason != null) Assumptions.abort("CUDA unavailable: " + reason);
        return (CudaBackend) dev.engram.engine.Backends.get(CUDA);
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
        assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
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
        assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) && Float.isNaN(actual[i])) continue;
            if (expected[i] == actual[i]) continue;
            float tol = ulps * Math.ulp(expected[i]);
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " on CUDA, " + expected[i]
                        + " on the CPU (more than " + ulps + " ulp apart)");
            }
        }
    }
}
