package dev.engram.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Convolution and pooling kernels against naive reference loops in double precision. */
class KernelReferenceTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 8).map(k -> 0xC0FFEEL * k);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void conv2dMatchesDirectLoops(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(1, 3), c = g.between(1, 4), k = g.between(1, 5), r = g.between(1, 3), s = g.between(1, 3);
        int st = g.between(1, 2), pad = g.between(0, 2), dil = g.between(1, 2);
        int h = dil * (r - 1) + g.between(1, 7), w = dil * (s - 1) + g.between(1, 7);
        float[] x = g.values(n * c * h * w, -1, 1), wt = g.values(k * c * r * s, -1, 1);
        Tensor y = Functional.conv2d(Tensor.of(x, n, c, h, w), Tensor.of(wt, k, c, r, s), null, st, pad, dil);
        int oh = (h + 2 * pad - dil * (r - 1) - 1) / st + 1, ow = (w + 2 * pad - dil * (s - 1) - 1) / st + 1;
        assertThat(y.shape()).containsExactly(n, k, oh, ow);
        float[] got = y.toFloatArray();
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++)
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++) {
                        double acc = 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ky = 0; ky < r; ky++)
                                for (int kx = 0; kx < s; kx++) {
                                    int iy = yy * st - pad + ky * dil, ix = xx * st - pad + kx * dil;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    acc += (double) x[((b * c + ci) * h + iy) * w + ix] * wt[((o * c + ci) * r + ky) * s + kx];
                                }
                        assertThat((double) got[((b * k + o) * oh + yy) * ow + xx]).isCloseTo(acc,
                                org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(acc))));
                    }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void maxPoolMatchesDirectLoops(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(1, 2), c = g.between(1, 3), h = g.between(2, 9), w = g.between(2, 9);
        int kk = g.between(1, Math.min(h, w)), st = g.between(1, 3);
        float[] x = g.values(n * c * h * w, -1, 1);
        float[] got = Functional.maxPool2d(Tensor.of(x, n, c, h, w), kk, st, 0).toFloatArray();
        int oh = (h - kk) / st + 1, ow = (w - kk) / st + 1;
        int q = 0;
        for (int bc = 0; bc < n * c; bc++)
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < kk; ky++)
                        for (int kx = 0; kx < kk; kx++) m = Math.max(m, x[(bc * h + yy * st + ky) * w + xx * st + kx]);
                    assertThat(got[q++]).isEqualTo(m);
                }
    }
}
