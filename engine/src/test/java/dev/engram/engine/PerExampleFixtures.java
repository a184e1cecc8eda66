package dev.engram.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers of the per-example tests: batch-of-one references and comparisons. */
final class PerExampleFixtures {
    private PerExampleFixtures() {}

    static int[] all(int b) {
        int[] idx = new int[b];
        for (int i = 0; i < b; i++) idx[i] = i;
        return idx;
    }

    /** Rows {@code idx} of {@code x} (a constant input). */
    static Tensor rows(Tensor x, int[] idx) {
        return x.indexSelect(Tensor.ofInts(idx, idx.length));
    }

    /**
     * Reference per-example gradients: for each example i one backward pass of
     * {@code scale * terms([i]).sum()} on that example alone. Returns, per parameter, the
     * gradients of all examples concatenated ({@code [B * numel]}). Leaves {@code .grad} as found.
     */
    static float[][] batchOfOne(List<Tensor> params, Function<int[], Tensor> terms, int b, float scale) {
        List<Tensor> saved = new ArrayList<>();
        for (Tensor p : params) {
            saved.add(p.grad());
            p.zeroGrad();
        }
        float[][] out = new float[params.size()][];
        for (int k = 0; k < params.size(); k++) out[k] = new float[(int) (b * params.get(k).numel())];
        for (int i = 0; i < b; i++) {
            for (Tensor p : params) p.zeroGrad();
            terms.apply(new int[] {i}).sum().mul(scale).backward();
            for (int k = 0; k < params.size(); k++) {
                Tensor g = params.get(k).grad();
                int n = (int) params.get(k).numel();
                if (g != null) System.arraycopy(g.toFloatArray(), 0, out[k], i * n, n);
            }
        }
        for (int k = 0; k < params.size(); k++) params.get(k).setGrad(saved.get(k));
        return out;
    }

    /** Per-example squared norms of concatenated per-example gradients {@code [B * n]}. */
    static float[] norms(float[] perExample, int b) {
        int n = perExample.length / b;
        float[] out = new float[b];
        for (int i = 0; i < b; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += (double) perExample[i * n + j] * perExample[i * n + j];
            out[i] = (float) s;
        }
        return out;
    }

    /** Sum over examples of {@code [B * n]} per-example gradients. */
    static float[] sumOverExamples(float[] perExample, int b) {
        int n = perExample.length / b;
        float[] out = new float[n];
        for (int i = 0; i < b; i++) for (int j = 0; j < n; j++) out[j] += perExample[i * n + j];
        return out;
    }

    static void assertClose(float[] actual, float[] expected, double rtol, String what) {
        assertThat(actual).as(what + " length").hasSameSizeAs(expected);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        double atol = 1e-6 + rtol * scale * 1e-2;
        for (int j = 0; j < actual.length; j++) {
            double err = Math.abs(actual[j] - expected[j]);
            if (err > atol + rtol * Math.abs(expected[j])) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %.7g, expected %.7g (max |expected| %.4g)",
                        what, j, actual[j], expected[j], scale));
            }
        }
    }
}
