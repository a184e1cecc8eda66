package dev.engram.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Results that PyTorch defines where a finite-difference check cannot tell: gradients at ties and
 * NaNs (hand-computed from PyTorch's derivative formulas) and the low digits of log-softmax at large
 * logits (against double-precision loops).
 */
class PyTorchSemanticsTest {
    private static final float NAN = Float.NaN;

    private static Tensor leaf(float... v) {
        return Tensor.of(v.clone(), v.length).requiresGrad(true);
    }

    private static float[] oneTo(int n) {
        float[] dy = new float[n];
        for (int k = 0; k < n; k++) dy[k] = k + 1;
        return dy;
    }

    /** PyTorch: the strictly larger (smaller) operand takes dy, a tie gives each dy/2, a NaN on either side gives both dy. */
    @Test
    void maximumAndMinimumSplitTiesAndPassNaNToBoth() {
        float[] av = {1f, 2f, 3f, NAN, 0f, -0f, 5f}, bv = {1f, 3f, 2f, 1f, -0f, 0f, NAN};
        float[] dy = oneTo(7);

        Tensor a = leaf(av), b = leaf(bv);
        a.maximum(b).backward(Tensor.of(dy, 7));
        assertThat(a.grad().toFloatArray()).containsExactly(0.5f, 0f, 3f, 4f, 2.5f, 3f, 7f);
        assertThat(b.grad().toFloatArray()).containsExactly(0.5f, 2f, 0f, 4f, 2.5f, 3f, 7f);

        a = leaf(av);
        b = leaf(bv);
        a.minimum(b).backward(Tensor.of(dy, 7));
        assertThat(a.grad().toFloatArray()).containsExactly(0.5f, 2f, 0f, 4f, 2.5f, 3f, 7f);
        assertThat(b.grad().toFloatArray()).containsExactly(0.5f, 0f, 3f, 4f, 2.5f, 3f, 7f);
    }

    @Test
    void maximumWithABroadcastZeroSumsTheHalvesOfItsTies() {
        Tensor x = leaf(-1f, 0f, 2f, 0f, 3f);
        Tensor zero = Tensor.zeros(1).requiresGrad(true);
        x.maximum(zero).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0f, 0.5f, 1f, 0.5f, 1f);
        assertThat(zero.grad().toFloatArray()).containsExactly(2f); // 1 where x < 0, 1/2 at each of the two ties
    }

    @Test
    void theLosingSideOfMaximumGetsZeroEvenFromAnInfiniteGradient() {
        Tensor x = leaf(-1f, 2f, 3f);
        Tensor zero = Tensor.zeros(1).requiresGrad(true);
        x.maximum(zero).backward(Tensor.of(new float[] {1f, Float.POSITIVE_INFINITY, 1f}, 3));
        assertThat(x.grad().toFloatArray()).containsExactly(0f, Float.POSITIVE_INFINITY, 1f);
        assertThat(zero.grad().toFloatArray()).containsExactly(1f); // inf * 0 would have made it NaN
        Tensor y = leaf(1f, -2f);
        Tensor other = Tensor.zeros(2).requiresGrad(true);
        y.minimum(other).backward(Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.NaN}, 2));
        assertThat(y.grad().toFloatArray()).containsExactly(0f, Float.NaN);
        assertThat(other.grad().toFloatArray()).containsExactly(Float.NEGATIVE_INFINITY, 0f);
    }

    /** PyTorch: {@code d|x| = dy * sign(x)} with {@code sign(NaN) = sign(0) = 0}. */
    @Test
    void absGradientIsZeroAtNaNAndZero() {
        Tensor x = leaf(NAN, -2f, 0f, 3f, -0f);
        x.abs().backward(Tensor.of(oneTo(5), 5));
        assertThat(x.grad().toFloatArray()).containsExactly(0f, -2f, 0f, 4f, 0f);
    }

    /**
     * Logits near ±1e4 (where a float's spacing is 1e-3): log-softmax forms {@code (x - max) - log(sum)}, so its
     * values and gradient keep the digits of the small differences, along the last axis and along an outer one.
     */
    @Test
    void logSoftmaxOfLargeLogitsMatchesDoubleLoops() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (float offset : new float[] {1e4f, -1e4f, 3e4f}) {
            int rows = 3, cols = 7;
            float[] x = new float[rows * cols], dy = new float[rows * cols];
            for (int k = 0; k < x.length; k++) {
                x[k] = offset + (float) (rnd.nextDouble() * 4 - 2);
                dy[k] = (float) (rnd.nextDouble() * 2 - 1);
            }
            for (int axis : new int[] {1, 0}) {
                int r = axis == 1 ? cols : rows, outer = axis == 1 ? rows : 1, inner = axis == 1 ? 1 : cols;
                double[] want = new double[x.length], wantDx = new double[x.length];
                for (int o = 0; o < outer; o++) {
                    for (int q = 0; q < inner; q++) {
                        int base = o * r * inner + q;
                        double max = Double.NEGATIVE_INFINITY, sum = 0, sdy = 0;
                        for (int j = 0; j < r; j++) max = Math.max(max, x[base + j * inner]);
                        for (int j = 0; j < r; j++) sum += Math.exp(x[base + j * inner] - max);
                        for (int j = 0; j < r; j++) sdy += dy[base + j * inner];
                        for (int j = 0; j < r; j++) {
                            int p = base + j * inner;
                            want[p] = (x[p] - max) - Math.log(sum);
                            wantDx[p] = dy[p] - Math.exp(want[p]) * sdy;
                        }
                    }
                }
                Tensor t = Tensor.of(x.clone(), rows, cols).requiresGrad(true);
                Tensor y = Functional.logSoftmax(t, axis);
                y.backward(Tensor.of(dy.clone(), rows, cols));
                float[] got = y.toFloatArray(), gotDx = t.grad().toFloatArray();
                for (int p = 0; p < x.length; p++) {
                    String at = "offset " + offset + ", axis " + axis + ", element " + p;
                    assertThat((double) got[p]).as("log_softmax " + at).isCloseTo(want[p],
                            org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(want[p]))));
                    assertThat((double) gotDx[p]).as("log_softmax gradient " + at).isCloseTo(wantDx[p],
                            org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(wantDx[p]))));
                }
            }
        }
    }
}
