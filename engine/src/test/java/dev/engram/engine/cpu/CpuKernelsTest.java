package dev.engram.engine.cpu;

import dev.engram.engine.DType;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.PoolGeometry;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CPU backend's convolution (batched im2col + GEMM), pooling, reduction and broadcasting
 * fast paths against naive loops in double precision, on odd sizes, stride / padding / dilation
 * variants, batches large enough to form multi-example tiles, NaN windows, and several thread counts.
 */
class CpuKernelsTest {
    private static final CpuBackend B = CpuBackend.INSTANCE;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 12).map(k -> 0x5EEDL * k + 17);
    }

    private static float[] values(SplittableRandom rnd, int count) {
        float[] v = new float[count];
        for (int q = 0; q < count; q++) v[q] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    private static int between(SplittableRandom rnd, int lo, int hi) {
        return lo + rnd.nextInt(hi - lo + 1);
    }

    private static ConvGeometry randomConv(SplittableRandom rnd) {
        int n = between(rnd, 1, 19), c = between(rnd, 1, 5), k = between(rnd, 1, 7);
        boolean pointwise = rnd.nextInt(4) == 0;
        int r = pointwise ? 1 : between(rnd, 1, 3), s = pointwise ? 1 : between(rnd, 1, 3);
        int sh = pointwise ? 1 : between(rnd, 1, 2), sw = pointwise ? 1 : between(rnd, 1, 3);
        int ph = pointwise ? 0 : between(rnd, 0, 2), pw = pointwise ? 0 : between(rnd, 0, 2);
        int dh = pointwise ? 1 : between(rnd, 1, 2), dw = pointwise ? 1 : between(rnd, 1, 2);
        int h = dh * (r - 1) + between(rnd, 1, 9), w = dw * (s - 1) + between(rnd, 1, 9);
        return new ConvGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw);
    }

    /** Input index of output (oy, ox) under tap (ky, kx), or -1 in the padding. */
    private static int tap(ConvGeometry g, int oy, int ox, int ky, int kx) {
        int iy = oy * g.strideH() - g.padH() + ky * g.dilH(), ix = ox * g.strideW() - g.padW() + kx * g.dilW();
        return iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w() ? -1 : iy * g.w() + ix;
    }

    /** Whether {@link #close} would fail (so large arrays build an assertion only for a failing element). */
    private static boolean off(float got, double want) {
        return !(Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want)));
    }

    private static void close(float got, double want, String what) {
        assertThat((double) got).as(what).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(want))));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void convForwardAndBothGradientsMatchDirectLoops(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        checkConv(randomConv(rnd), rnd);
    }

    @Test
    void filterGradientOrientationsBothMatchDirectLoops() {
        ConvGeometry fewTaps = new ConvGeometry(5, 1, 9, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1);
        ConvGeometry square = new ConvGeometry(3, 8, 6, 5, 24, 3, 3, 1, 1, 1, 1, 1, 1);
        assertThat(ConvKernels.filterGradTransposed(fewTaps)).isTrue();
        assertThat(ConvKernels.filterGradTransposed(square)).isFalse();
        SplittableRandom rnd = new SplittableRandom(7);
        checkConv(fewTaps, rnd);
        checkConv(square, rnd);
        checkConv(new ConvGeometry(40, 1, 4, 4, 3, 2, 2, 2, 2, 0, 0, 1, 1), rnd);
    }

    @Test
    void samePaddingStrideOneConvsMatchDirectLoops() {
        // output width = input width: im2col / col2im take the whole-row shifted copy path
        SplittableRandom rnd = new SplittableRandom(11);
        ConvGeometry[] shapes = {new ConvGeometry(6, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(3, 2, 6, 8, 5, 3, 3, 1, 1, 2, 2, 2, 2), new ConvGeometry(4, 2, 5, 6, 3, 2, 2, 1, 1, 1, 1, 2, 2),
            new ConvGeometry(5, 3, 4, 7, 6, 1, 3, 1, 1, 0, 1, 1, 1), new ConvGeometry(2, 2, 9, 5, 3, 5, 5, 1, 1, 0, 2, 1, 1),
            new ConvGeometry(3, 4, 2, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1), new ConvGeometry(2, 1, 3, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1)};
        for (ConvGeometry g : shapes) checkConv(g, rnd);
    }

    @Test
    void inputGradientAsFlippedForwardConvMatchesDirectLoops() {
        // stride 1, output narrower than the input, at least FLIPPED_MIN_CHANNELS input channels:
        // the input gradient is the forward convolution of dy with the flipped, transposed filter
        SplittableRandom rnd = new SplittableRandom(17);
        int c = ConvKernels.FLIPPED_MIN_CHANNELS;
        ConvGeometry[] shapes = {new ConvGeometry(3, c, 8, 8, 5, 3, 3, 1, 1, 0, 0, 1, 1),
            new ConvGeometry(2, c + 3, 9, 10, 4, 3, 2, 1, 1, 1, 0, 2, 1), new ConvGeometry(4, c, 7, 6, 3, 2, 4, 1, 1, 1, 2, 1, 1),
            new ConvGeometry(1, c + 1, 6, 9, 6, 5, 3, 1, 1, 0, 0, 1, 2)};
        for (ConvGeometry g : shapes) {
            assertThat(ConvKernels.asForward(g)).as("%s", g).isNotNull();
            assertThat(Im2col.isShift(g)).as("%s", g).isFalse();
            checkConv(g, rnd);
        }
        // padding wider than the dilated kernel: no forward form
        assertThat(ConvKernels.asForward(new ConvGeometry(1, c, 5, 5, 2, 2, 2, 1, 1, 2, 2, 1, 1))).isNull();
    }

    @Test
    void winogradConvolutionsMatchDirectLoops() {
        SplittableRandom rnd = new SplittableRandom(23);
        int c = Winograd.MIN_CHANNELS;
        ConvGeometry[] shapes = {new ConvGeometry(3, c, 8, 8, c, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(2, c + 1, 7, 9, c + 2, 3, 3, 1, 1, 1, 1, 1, 1), // odd output: partial 2×2 blocks
            new ConvGeometry(2, c, 6, 5, c + 4, 3, 3, 1, 1, 0, 0, 1, 1), new ConvGeometry(1, c, 3, 4, c, 3, 3, 1, 1, 2, 1, 1, 1),
            new ConvGeometry(Winograd.TARGET_TILES / 4 + 3, c, 4, 4, c, 3, 3, 1, 1, 1, 1, 1, 1), // several chunks
            new ConvGeometry(2, 2 * c, 5, 5, c + 8, 3, 3, 1, 1, 1, 1, 1, 1),
            // rows of 9 and 8 tiles, padding 1 and 2
            new ConvGeometry(2, c, 6, 17, c, 3, 3, 1, 1, 1, 1, 1, 1), new ConvGeometry(1, c + 3, 5, 14, c, 3, 3, 1, 1, 1, 2, 1, 1)};
        for (ConvGeometry g : shapes) {
            assertThat(Winograd.applies(g)).as("%s", g).isTrue();
            checkConv(g, rnd);
        }
        // the input gradient runs Winograd through the flipped-filter forward convolution
        assertThat(Winograd.applies(ConvKernels.asForward(shapes[1]))).isTrue();
        assertThat(Winograd.applies(new ConvGeometry(1, c - 1, 8, 8, c, 3, 3, 1, 1, 1, 1, 1, 1))).isFalse();
        assertThat(Winograd.applies(new ConvGeometry(1, c, 8, 8, c, 3, 3, 2, 2, 1, 1, 1, 1))).isFalse();
        assertThat(Winograd.applies(new ConvGeometry(1, c, 8, 8, c, 3, 3, 1, 1, 1, 1, 2, 2))).isFalse();
        assertThat(Winograd.applies(new ConvGeometry(1, c, 8, 8, c, 5, 5, 1, 1, 2, 2, 1, 1))).isFalse();
    }

    /**
     * A Winograd geometry with an infinity in x (forward, filter gradient) or in dy (input gradient, through the flipped
     * forward convolution): every result that the direct sums make ±inf is that infinity, not NaN (the transforms
     * would subtract it from itself), and the finite ones still match.
     */
    @Test
    void winogradGeometriesKeepTheSignOfInfiniteResults() {
        SplittableRandom rnd = new SplittableRandom(31);
        int c = Winograd.MIN_CHANNELS;
        ConvGeometry g = new ConvGeometry(2, c, 5, 6, c, 3, 3, 1, 1, 1, 1, 1, 1);
        assertThat(Winograd.applies(g)).isTrue();
        assertThat(Winograd.applies(ConvKernels.asForward(g))).isTrue();
        int n = g.n(), k = g.k(), oh = g.outH(), ow = g.outW(), hw = g.h() * g.w();
        for (float inf : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = values(rnd, n * c * hw), w = values(rnd, k * c * 9), dy = values(rnd, n * k * oh * ow);
            x[(1 * c + 5) * hw + 2 * g.w() + 3] = inf; // example 1, channel 5, row 2, column 3 (inside a 4×4 patch)
            dy[(0 * k + 7) * oh * ow + 1 * ow + 2] = -inf;
            float[] y = new float[dy.length], dx = new float[x.length], dw = new float[w.length];
            ConvKernels.forward(x, w, y, g);
            ConvKernels.backwardData(dy, w, dx, g);
            ConvKernels.backwardFilter(x, dy, dw, g, 0f);
            double[] ry = new double[y.length], rx = new double[x.length], rw = new double[w.length];
            for (int b = 0; b < n; b++)
                for (int o = 0; o < k; o++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            int yi = ((b * k + o) * oh + oy) * ow + ox;
                            for (int ci = 0; ci < c; ci++)
                                for (int ky = 0; ky < 3; ky++)
                                    for (int kx = 0; kx < 3; kx++) {
                                        int t = tap(g, oy, ox, ky, kx);
                                        if (t < 0) continue;
                                        int xi = (b * c + ci) * hw + t, wi = ((o * c + ci) * 3 + ky) * 3 + kx;
                                        ry[yi] += (double) x[xi] * w[wi];
                                        rx[xi] += (double) dy[yi] * w[wi];
                                        rw[wi] += (double) dy[yi] * x[xi];
                                    }
                        }
            int infinite = 0;
            for (double[][] pair : new double[][][] {{toDouble(y), ry}, {toDouble(dx), rx}, {toDouble(dw), rw}}) {
                for (int q = 0; q < pair[0].length; q++) {
                    double want = pair[1][q];
                    if (Double.isInfinite(want)) {
                        infinite++;
                        assertThat(pair[0][q]).as("element %d (want %s)", q, want).isEqualTo(want);
                    } else if (Double.isNaN(want)) { // +inf + -inf in a filter-gradient sum over both examples
                        assertThat(pair[0][q]).as("element %d", q).isNaN();
                    } else {
                        close((float) pair[0][q], want, "element " + q);
                    }
                }
            }
            assertThat(infinite).as("infinite results checked").isGreaterThan(3 * k);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int q = 0; q < a.length; q++) d[q] = a[q];
        return d;
    }

    @Test
    void winogradFusedBiasEqualsConvThenBroadcastAddBitForBit() {
        SplittableRandom rnd = new SplittableRandom(29);
        ConvGeometry g = new ConvGeometry(3, Winograd.MIN_CHANNELS, 6, 7, Winograd.MIN_CHANNELS + 4, 3, 3, 1, 1, 1, 1, 1, 1);
        assertThat(Winograd.applies(g)).isTrue();
        float[] x = values(rnd, g.n() * g.c() * g.h() * g.w()), w = values(rnd, g.k() * g.colRows()), bias = values(rnd, g.k());
        float[] fused = values(rnd, g.n() * g.k() * g.colCols()), plain = new float[fused.length];
        ConvKernels.forward(x, w, bias, fused, g);
        ConvKernels.forward(x, w, plain, g);
        for (int q = 0; q < plain.length; q++) plain[q] += bias[(q / g.colCols()) % g.k()];
        assertThat(fused).containsExactly(plain);
    }

    @Test
    void perExampleFilterGradientsMatchDirectLoopsWhateverTheThreads() {
        SplittableRandom rnd = new SplittableRandom(41);
        int c = Winograd.MIN_CHANNELS;
        java.util.List<ConvGeometry> shapes = new java.util.ArrayList<>(java.util.List.of(
            new ConvGeometry(11, c, 6, 6, c, 3, 3, 1, 1, 1, 1, 1, 1), // more examples than sum groups
            new ConvGeometry(3, c + 1, 5, 7, c + 2, 3, 3, 1, 1, 1, 1, 1, 1), // where the batched kernels use Winograd
            new ConvGeometry(4, c, 6, 6, c, 3, 3, 1, 1, 0, 0, 1, 1), // no padding
            new ConvGeometry(5, 3, 9, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1), // implicit im2col panels
            new ConvGeometry(4, 5, 11, 10, 7, 5, 5, 2, 2, 2, 2, 1, 1), // 5×5 stride 2
            new ConvGeometry(6, 4, 5, 5, 3, 1, 1, 1, 1, 0, 0, 1, 1), // pointwise
            new ConvGeometry(5, 1, 9, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1))); // transposed orientation
        for (int q = 0; q < 6; q++) shapes.add(randomConv(rnd));
        int before = CpuParallel.threads();
        try {
            for (ConvGeometry g : shapes) {
                int n = g.n(), k = g.k(), oh = g.outH(), ow = g.outW(), hw = g.h() * g.w(), wSize = k * g.colRows();
                int b0 = n > 1 ? 1 : 0, count = n - b0, outOff = 3;
                float[] x = values(rnd, n * g.c() * hw), dy = values(rnd, n * k * oh * ow), sum0 = values(rnd, wSize);
                double[][] want = new double[count][wSize];
                for (int j = 0; j < count; j++) {
                    int b = b0 + j;
                    for (int o = 0; o < k; o++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++) {
                                double d = dy[((b * k + o) * oh + oy) * ow + ox];
                                for (int ci = 0; ci < g.c(); ci++)
                                    for (int ky = 0; ky < g.r(); ky++)
                                        for (int kx = 0; kx < g.s(); kx++) {
                                            int t = tap(g, oy, ox, ky, kx);
                                            if (t >= 0) want[j][((o * g.c() + ci) * g.r() + ky) * g.s() + kx] += d * x[(b * g.c() + ci) * hw + t];
                                        }
                            }
                }
                float[][] ref = null;
                for (int t : new int[] {1, 2, 3}) {
                    CpuParallel.setThreads(t);
                    float[] out = new float[outOff + count * wSize], sq = new float[count], sum = sum0.clone();
                    ConvKernels.perExampleFilterGradients(x, dy, g, b0, count, out, outOff, sq, sum);
                    float[] sqOnly = new float[count], sumOnly = sum0.clone();
                    ConvKernels.perExampleFilterGradients(x, dy, g, b0, count, null, 0, sqOnly, sumOnly);
                    assertThat(sqOnly).as("norms without out, %s, %d threads", g, t).isEqualTo(sq);
                    assertThat(sumOnly).as("sum without out, %s, %d threads", g, t).isEqualTo(sum);
                    if (ref == null) {
                        for (int j = 0; j < count; j++) {
                            double norm = 0;
                            for (int q = 0; q < wSize; q++) {
                                float got = out[outOff + j * wSize + q];
                                if (off(got, want[j][q])) close(got, want[j][q], "g_" + j + "[" + q + "] of " + g);
                                norm += want[j][q] * want[j][q];
                            }
                            close(sq[j], norm, "squared norm " + j + " of " + g);
                        }
                        for (int q = 0; q < wSize; q++) {
                            double total = sum0[q];
                            for (int j = 0; j < count; j++) total += want[j][q];
                            if (off(sum[q], total)) close(sum[q], total, "sum[" + q + "] of " + g);
                        }
                        ref = new float[][] {out, sq, sum};
                    } else {
                        float[][] got = {out, sq, sum};
                        for (int q = 0; q < 3; q++) assertThat(got[q]).as("output %d of %s with %d threads", q, g, t).isEqualTo(ref[q]);
                    }
                }
            }
        } finally {
            CpuParallel.setThreads(before);
        }
    }

    private static void checkConv(ConvGeometry g, SplittableRandom rnd) {
        int n = g.n(), c = g.c(), k = g.k(), r = g.r(), s = g.s(), oh = g.outH(), ow = g.outW(), hw = g.h() * g.w();
        float[] x = values(rnd, n * c * hw), w = values(rnd, k * c * r * s), dy = values(rnd, n * k * oh * ow);
        float[] y = new float[n * k * oh * ow], dx = values(rnd, x.length), dw = values(rnd, w.length);
        float[] dw0 = dw.clone();
        float beta = rnd.nextBoolean() ? 0f : 0.5f;
        ConvKernels.forward(x, w, y, g);
        ConvKernels.backwardData(dy, w, dx, g);
        ConvKernels.backwardFilter(x, dy, dw, g, beta);
        double[] rx = new double[x.length], rw = new double[w.length];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int yi = ((b * k + o) * oh + oy) * ow + ox;
                        double acc = 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ky = 0; ky < r; ky++)
                                for (int kx = 0; kx < s; kx++) {
                                    int t = tap(g, oy, ox, ky, kx);
                                    if (t < 0) continue;
                                    int xi = (b * c + ci) * hw + t, wi = ((o * c + ci) * r + ky) * s + kx;
                                    acc += (double) x[xi] * w[wi];
                                    rx[xi] += (double) dy[yi] * w[wi];
                                    rw[wi] += (double) dy[yi] * x[xi];
                                }
                        close(y[yi], acc, "y[" + yi + "] of " + g);
                    }
        for (int q = 0; q < x.length; q++) close(dx[q], rx[q], "dx[" + q + "] of " + g);
        for (int q = 0; q < w.length; q++) close(dw[q], rw[q] + beta * dw0[q], "dw[" + q + "] of " + g);
    }

    @Test
    void forwardOnImplicitPanelsEqualsGemmOnTheIm2colMatrixBitForBit() {
        // the forward packs its B panels from a padded, stride-phased copy of the input; the values,
        // and so the FMA chains, must be those of a GEMM on the materialized im2col matrix
        SplittableRandom rnd = new SplittableRandom(13);
        ConvGeometry[] shapes = {new ConvGeometry(5, 3, 11, 13, 7, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(4, 4, 12, 12, 6, 5, 5, 2, 2, 2, 2, 1, 1), new ConvGeometry(3, 2, 10, 17, 5, 3, 4, 3, 3, 2, 1, 1, 2),
            new ConvGeometry(6, 5, 8, 8, 9, 3, 3, 1, 1, 0, 0, 1, 1), new ConvGeometry(2, 3, 9, 7, 4, 2, 3, 2, 1, 0, 3, 2, 1),
            new ConvGeometry(70, 2, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1)};
        for (ConvGeometry g : shapes) {
            int crs = g.colRows(), ohw = g.colCols(), xStride = g.c() * g.h() * g.w();
            float[] x = values(rnd, g.n() * xStride), w = values(rnd, g.k() * crs), y = new float[g.n() * g.k() * ohw];
            ConvKernels.forward(x, w, y, g);
            for (int b = 0; b < g.n(); b++) {
                float[] want = gemmOnIm2col(x, w, g, b);
                float[] got = java.util.Arrays.copyOfRange(y, b * want.length, (b + 1) * want.length);
                assertThat(got).as("example %d of %s", b, g).containsExactly(want);
            }
        }
    }

    /** Example b's forward convolution as a GEMM on its materialized im2col matrix, {@code [K, OH·OW]}. */
    private static float[] gemmOnIm2col(float[] x, float[] w, ConvGeometry g, int b) {
        int crs = g.colRows(), ohw = g.colCols();
        float[] cols = new float[crs * ohw], out = new float[g.k() * ohw];
        Im2col.im2col(x, b * g.c() * g.h() * g.w(), g, cols, 0, ohw);
        Sgemm.sgemm(false, false, g.k(), ohw, crs, 1f, w, 0, crs, cols, 0, ohw, 0f, out, 0, ohw);
        return out;
    }

    @Test
    void forwardOverPaddedRowsEqualsGemmOnTheIm2colMatrixBitForBit() {
        // stride-1 forwards pack columns over whole padded rows; the unused columns at each row's end read the next
        // row, the next channel or the zeroed overrun, and must leave the used ones exactly as on the im2col matrix,
        // infinities and NaN in the input included
        SplittableRandom rnd = new SplittableRandom(17);
        ConvGeometry[] shapes = {new ConvGeometry(7, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(9, 4, 3, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1), // 15 columns per example: panels cross examples
            new ConvGeometry(5, 6, 11, 9, 7, 3, 3, 1, 1, 2, 2, 2, 2), // dilation 2
            new ConvGeometry(4, 5, 10, 12, 8, 2, 3, 1, 1, 0, 2, 1, 1), // uneven kernel and padding
            new ConvGeometry(3, 3, 7, 63, 5, 3, 3, 1, 1, 1, 1, 1, 1)};
        for (ConvGeometry g : shapes) {
            assertThat(ConvPanels.paddedRowsApply(g)).as("%s", g).isTrue();
            int crs = g.colRows(), ohw = g.colCols(), xStride = g.c() * g.h() * g.w();
            float[] x = values(rnd, g.n() * xStride), w = values(rnd, g.k() * crs), bias = values(rnd, g.k());
            for (int q = 0; q < x.length; q += 97) x[q] = q % 3 == 0 ? Float.NaN : q % 3 == 1 ? Float.POSITIVE_INFINITY : -0f;
            float[] y = values(rnd, g.n() * g.k() * ohw), yb = new float[y.length];
            ConvKernels.forward(x, w, y, g);
            ConvKernels.forward(x, w, bias, yb, g);
            for (int b = 0; b < g.n(); b++) {
                float[] want = gemmOnIm2col(x, w, g, b);
                float[] got = java.util.Arrays.copyOfRange(y, b * want.length, (b + 1) * want.length);
                assertThat(got).as("example %d of %s", b, g).containsExactly(want);
                for (int q = 0; q < want.length; q++) want[q] += bias[q / ohw];
                got = java.util.Arrays.copyOfRange(yb, b * want.length, (b + 1) * want.length);
                assertThat(got).as("example %d of %s with a bias", b, g).containsExactly(want);
            }
        }
        // strides above 1, and fewer taps than output channels, keep the packing by output rows
        assertThat(ConvPanels.paddedRowsApply(new ConvGeometry(2, 4, 12, 12, 6, 5, 5, 2, 2, 2, 2, 1, 1))).isFalse();
        assertThat(ConvPanels.paddedRowsApply(new ConvGeometry(2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1))).isFalse();
    }

    @Test
    void fusedConvBiasEqualsConvThenBroadcastAddBitForBit() {
        SplittableRandom rnd = new SplittableRandom(5);
        // one example per tile (GEMM straight into y) and several examples per tile (scatter pass)
        ConvGeometry[] shapes = {new ConvGeometry(3, 4, 40, 40, 6, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(17, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1), new ConvGeometry(6, 5, 4, 4, 7, 1, 1, 1, 1, 0, 0, 1, 1)};
        for (ConvGeometry g : shapes) {
            float[] x = values(rnd, g.n() * g.c() * g.h() * g.w()), w = values(rnd, g.k() * g.colRows());
            float[] bias = values(rnd, g.k());
            float[] fused = values(rnd, g.n() * g.k() * g.colCols()), plain = new float[fused.length];
            ConvKernels.forward(x, w, bias, fused, g);
            ConvKernels.forward(x, w, plain, g);
            for (int q = 0; q < plain.length; q++) plain[q] += bias[(q / g.colCols()) % g.k()];
            assertThat(fused).as("%s", g).containsExactly(plain);
        }
    }

    @Test
    void convTilesSpanSeveralExamplesAndChunksStaySmallForLargeFilters() {
        ConvGeometry small = new ConvGeometry(128, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1);
        int nb = ConvKernels.tile(small, small.n());
        assertThat(nb).isGreaterThan(1);
        assertThat(nb * small.colCols()).isGreaterThanOrEqualTo(ConvKernels.TARGET_COLUMNS);
        ConvGeometry big = new ConvGeometry(64, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1);
        assertThat((long) ConvKernels.tile(big, big.n()) * big.colRows() * big.colCols())
                .isLessThanOrEqualTo(ConvKernels.MAX_TILE_FLOATS);
    }

    @Test
    void convResultsAreBitIdenticalAcrossThreadCounts() {
        SplittableRandom rnd = new SplittableRandom(99);
        ConvGeometry[] shapes = {new ConvGeometry(37, 3, 9, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(21, 6, 5, 5, 4, 1, 1, 1, 1, 0, 0, 1, 1), new ConvGeometry(9, 4, 12, 10, 5, 3, 2, 2, 1, 1, 0, 2, 1),
            new ConvGeometry(11, ConvKernels.FLIPPED_MIN_CHANNELS, 8, 8, 6, 3, 3, 1, 1, 0, 0, 1, 1),
            new ConvGeometry(13, 5, 14, 15, 9, 5, 5, 2, 2, 2, 2, 1, 1),
            new ConvGeometry(Winograd.TARGET_TILES / 9 + 5, Winograd.MIN_CHANNELS, 5, 6, Winograd.MIN_CHANNELS + 1, 3, 3, 1, 1,
                1, 1, 1, 1)};
        int before = CpuParallel.threads();
        try {
            for (ConvGeometry g : shapes) {
                float[] x = values(rnd, g.n() * g.c() * g.h() * g.w()), w = values(rnd, g.k() * g.colRows());
                float[] dy = values(rnd, g.n() * g.k() * g.colCols());
                float[][] ref = null;
                for (int t : new int[] {1, 2, 3}) {
                    CpuParallel.setThreads(t);
                    float[] y = new float[dy.length], dx = new float[x.length], dw = new float[w.length];
                    ConvKernels.forward(x, w, y, g);
                    ConvKernels.backwardData(dy, w, dx, g);
                    ConvKernels.backwardFilter(x, dy, dw, g, 0f);
                    float[][] got = {y, dx, dw};
                    if (ref == null) ref = got;
                    else for (int q = 0; q < 3; q++) assertThat(got[q]).as("output %d of %s with %d threads", q, g, t).isEqualTo(ref[q]);
                }
            }
        } finally {
            CpuParallel.setThreads(before);
        }
    }

    // ---- pooling -------------------------------------------------------------------------------

    private static PoolGeometry randomPool(SplittableRandom rnd, boolean twoByTwo) {
        int n = between(rnd, 1, 3), c = between(rnd, 1, 4), h = between(rnd, 2, 11), w = between(rnd, 2, 11);
        if (twoByTwo) return new PoolGeometry(n, c, h, w, 2, 2, 2, 2, 0, 0);
        int kh = between(rnd, 1, Math.min(h, 4)), kw = between(rnd, 1, Math.min(w, 4));
        int ph = rnd.nextBoolean() ? 0 : between(rnd, 0, kh / 2), pw = rnd.nextBoolean() ? 0 : between(rnd, 0, kw / 2);
        return new PoolGeometry(n, c, h, w, kh, kw, between(rnd, 1, 3), between(rnd, 1, 3), ph, pw);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void maxPoolMatchesDirectLoopsIncludingNaNWindows(long seed) {
        for (boolean twoByTwo : new boolean[] {true, false}) {
            SplittableRandom rnd = new SplittableRandom(seed + (twoByTwo ? 1 : 0));
            PoolGeometry g = randomPool(rnd, twoByTwo);
            int hw = g.h() * g.w(), oh = g.outH(), ow = g.outW(), planes = g.n() * g.c();
            float[] x = values(rnd, planes * hw);
            for (int q = 0; q < x.length; q++) {
                int u = rnd.nextInt(16);
                if (u == 0) x[q] = Float.NaN;
                else if (u == 1) x[q] = 0.25f; // ties: the first maximum wins
                else if (u == 2) x[q] = -0f; // signed zeros tie too: the first one's bits are kept
                else if (u == 3) x[q] = 0f;
                else if (u == 4) x[q] = Float.POSITIVE_INFINITY;
                else if (u == 5) x[q] = Float.NEGATIVE_INFINITY;
            }
            float[] y = new float[planes * oh * ow], dy = values(rnd, y.length), dx = values(rnd, x.length);
            Storage idx = B.allocate(DType.INT32, y.length);
            B.maxPool2dForward(B.wrap(x), B.wrap(y), idx, g);
            B.maxPool2dBackward(B.wrap(dy), idx, B.wrap(dx), g);
            int[] gotIdx = CpuBackend.i(idx);
            double[] rdx = new double[x.length];
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int best = -1, lastNaN = -1;
                        for (int ky = 0; ky < g.kh(); ky++)
                            for (int kx = 0; kx < g.kw(); kx++) {
                                int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                                int at = iy * g.w() + ix;
                                float v = x[p * hw + at];
                                if (Float.isNaN(v)) lastNaN = at;
                                else if (best < 0 || v > x[p * hw + best]) best = at;
                            }
                        int want = lastNaN >= 0 ? lastNaN : best;
                        int o = (p * oh + oy) * ow + ox;
                        assertThat(gotIdx[o]).as("argmax of output %d in %s", o, g).isEqualTo(want);
                        assertThat(Float.floatToIntBits(y[o])).as("max of output %d in %s", o, g)
                                .isEqualTo(Float.floatToIntBits(x[p * hw + want]));
                        rdx[p * hw + want] += dy[o];
                    }
            for (int q = 0; q < x.length; q++) close(dx[q], rdx[q], "dx[" + q + "] of " + g);
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void avgPoolMatchesDirectLoops(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        PoolGeometry g = randomPool(rnd, false);
        int hw = g.h() * g.w(), oh = g.outH(), ow = g.outW(), planes = g.n() * g.c();
        float[] x = values(rnd, planes * hw), y = new float[planes * oh * ow], dy = values(rnd, y.length);
        float[] dx = values(rnd, x.length);
        B.avgPool2dForward(B.wrap(x), B.wrap(y), g);
        B.avgPool2dBackward(B.wrap(dy), B.wrap(dx), g);
        double[] rdx = new double[x.length];
        double inv = 1.0 / (g.kh() * g.kw());
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    int o = (p * oh + oy) * ow + ox;
                    double s = 0;
                    for (int ky = 0; ky < g.kh(); ky++)
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                            if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                            s += x[p * hw + iy * g.w() + ix];
                            rdx[p * hw + iy * g.w() + ix] += dy[o] * inv;
                        }
                    close(y[o], s * inv, "avg output " + o + " of " + g);
                }
        for (int q = 0; q < x.length; q++) close(dx[q], rdx[q], "dx[" + q + "] of " + g);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void batchNormTrainingForwardAndBackwardMatchDoubleLoops(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = between(rnd, 1, 4), c = between(rnd, 1, 5), hw = between(rnd, 1, 23);
        float[] x = values(rnd, n * c * hw);
        for (int q = 0; q < x.length; q++) x[q] = x[q] * 3 + 1; // non-zero mean
        checkBatchNorm(rnd, n, c, hw, x);
    }

    /**
     * Rows longer than the float-lane blocks of the sums ({@link RowSums#BLOCK}), some not a multiple of any vector
     * width, and a mean about 1,700 standard deviations away from zero: the centred sums must not lose the variance.
     */
    @ParameterizedTest(name = "hw={0}")
    @ValueSource(ints = {1, 17, 64, 1023, 1369, 2 * RowSums.BLOCK + 3})
    void batchNormKeepsTheVarianceOfRowsFarFromZero(int hw) {
        SplittableRandom rnd = new SplittableRandom(hw);
        int n = 3, c = 2;
        float[] x = values(rnd, n * c * hw);
        for (int q = 0; q < x.length; q++) x[q] = 100f + 0.1f * x[q];
        checkBatchNorm(rnd, n, c, hw, x);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void batchNormPerExampleAffineGradientsMatchDoubleLoopsAndSumToTheBatchGradient(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = between(rnd, 1, 6), c = between(rnd, 1, 5), hw = between(rnd, 1, 2100);
        boolean batchStats = rnd.nextBoolean();
        float centre = rnd.nextBoolean() ? 0f : 300f; // far from zero: the batch's own mean must be used
        float[] x = values(rnd, n * c * hw), dy = values(rnd, n * c * hw), gamma = values(rnd, c), beta = values(rnd, c);
        for (int q = 0; q < x.length; q++) x[q] = centre + x[q];
        float[] mean = new float[c], inv = new float[c], y = new float[x.length], rm = new float[c], rv = new float[c];
        B.batchNormTrain(B.wrap(x), B.wrap(gamma), B.wrap(beta), B.wrap(y), B.wrap(mean), B.wrap(inv), B.wrap(rm), B.wrap(rv),
                n, c, hw, 0.1f, 1e-5f);
        float[] dg = new float[n * c], db = new float[n * c], dgBatch = new float[c], dbBatch = new float[c];
        assertThat(B.batchNormPerExampleAffineGradients(B.wrap(dy), B.wrap(x), B.wrap(mean), B.wrap(inv), B.wrap(dg), B.wrap(db),
                n, c, hw, batchStats)).isTrue();
        B.batchNormBackward(B.wrap(dy), B.wrap(x), B.wrap(gamma), B.wrap(mean), B.wrap(inv), null, B.wrap(dgBatch),
                B.wrap(dbBatch), n, c, hw, batchStats);
        for (int ch = 0; ch < c; ch++) {
            double m = mean[ch];
            if (batchStats) { // the batch's own mean, in double
                double s = 0;
                for (int b = 0; b < n; b++) for (int q = 0; q < hw; q++) s += x[(b * c + ch) * hw + q];
                m = s / ((double) n * hw);
            }
            double sumG = 0, sumB = 0;
            for (int b = 0; b < n; b++) {
                double g = 0, bb = 0;
                for (int q = 0, o = (b * c + ch) * hw; q < hw; q++) {
                    g += dy[o + q] * ((x[o + q] - m) * inv[ch]);
                    bb += dy[o + q];
                }
                close(dg[b * c + ch], g, "dgamma of example " + b + ", channel " + ch);
                close(db[b * c + ch], bb, "dbeta of example " + b + ", channel " + ch);
                sumG += dg[b * c + ch];
                sumB += db[b * c + ch];
            }
            close(dgBatch[ch], sumG, "batch dgamma against the per-example sum, channel " + ch);
            close(dbBatch[ch], sumB, "batch dbeta against the per-example sum, channel " + ch);
        }
        // either output may be left out
        float[] dbOnly = new float[n * c];
        assertThat(B.batchNormPerExampleAffineGradients(B.wrap(dy), B.wrap(x), B.wrap(mean), B.wrap(inv), null, B.wrap(dbOnly),
                n, c, hw, batchStats)).isTrue();
        assertThat(dbOnly).isEqualTo(db);
        // n = 0 only answers whether the kernel exists
        assertThat(B.batchNormPerExampleAffineGradients(B.wrap(dy), B.wrap(x), B.wrap(mean), B.wrap(inv), null, null, 0, c, hw,
                batchStats)).isTrue();
    }

    /** Batch norm's training forward and backward on the CPU backend against double-precision loops. */
    private static void checkBatchNorm(SplittableRandom rnd, int n, int c, int hw, float[] x) {
        float[] dy = values(rnd, x.length), gamma = values(rnd, c), beta = values(rnd, c);
        float[] y = new float[x.length], mean = new float[c], inv = new float[c], rm = values(rnd, c), rv = new float[c];
        for (int q = 0; q < c; q++) rv[q] = 1 + Math.abs(rm[q]);
        float[] rm0 = rm.clone(), rv0 = rv.clone(), dx = new float[x.length], dg = new float[c], db = new float[c];
        float eps = 1e-5f, momentum = 0.1f;
        B.batchNormTrain(B.wrap(x), B.wrap(gamma), B.wrap(beta), B.wrap(y), B.wrap(mean), B.wrap(inv), B.wrap(rm), B.wrap(rv),
                n, c, hw, momentum, eps);
        B.batchNormBackward(B.wrap(dy), B.wrap(x), B.wrap(gamma), B.wrap(mean), B.wrap(inv), B.wrap(dx), B.wrap(dg), B.wrap(db),
                n, c, hw, true);
        int count = n * hw;
        for (int ch = 0; ch < c; ch++) {
            double s = 0, ss = 0;
            for (int b = 0; b < n; b++) for (int q = 0; q < hw; q++) s += x[(b * c + ch) * hw + q];
            double mu = s / count;
            for (int b = 0; b < n; b++) for (int q = 0; q < hw; q++) ss += Math.pow(x[(b * c + ch) * hw + q] - mu, 2);
            double is = 1 / Math.sqrt(ss / count + eps);
            close(mean[ch], mu, "mean " + ch);
            close(inv[ch], is, "invStd " + ch);
            close(rm[ch], (1 - momentum) * rm0[ch] + momentum * mu, "running mean " + ch);
            close(rv[ch], (1 - momentum) * rv0[ch] + momentum * (count > 1 ? ss / (count - 1) : ss / count), "running var " + ch);
            double sdy = 0, sdyx = 0;
            for (int b = 0; b < n; b++)
                for (int q = 0; q < hw; q++) {
                    int p = (b * c + ch) * hw + q;
                    double xh = (x[p] - mu) * is;
                    close(y[p], xh * gamma[ch] + beta[ch], "y " + p);
                    sdy += dy[p];
                    sdyx += dy[p] * xh;
                }
            close(db[ch], sdy, "dbeta " + ch);
            close(dg[ch], sdyx, "dgamma " + ch);
            for (int b = 0; b < n; b++)
                for (int q = 0; q < hw; q++) {
                    int p = (b * c + ch) * hw + q;
                    double xh = (x[p] - mu) * is;
                    close(dx[p], gamma[ch] * is * (dy[p] - sdy / count - xh * sdyx / count), "dx " + p);
                }
        }
    }

    // ---- reductions and broadcasting ---------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void sumsMatchDoubleLoops(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{between(rnd, 1, 40), between(rnd, 1, 3000), 1}, {between(rnd, 1, 4), between(rnd, 1, 50), between(rnd, 2, 2500)},
            {1, between(rnd, 1, 200), between(rnd, 1, 700)}};
        for (int[] sh : shapes) {
            int outer = sh[0], r = sh[1], inner = sh[2];
            float[] x = values(rnd, outer * r * inner);
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.SUM_SQUARES, ReduceOp.MAX}) {
                float[] out = new float[outer * inner];
                B.reduce(op, B.wrap(x), B.wrap(out), outer, r, inner);
                for (int o = 0; o < outer; o++)
                    for (int q = 0; q < inner; q++) {
                        double s = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0;
                        for (int j = 0; j < r; j++) {
                            double v = x[(o * r + j) * inner + q];
                            s = op == ReduceOp.MAX ? Math.max(s, v) : s + (op == ReduceOp.SUM_SQUARES ? v * v : v);
                        }
                        close(out[o * inner + q], s, op + " at " + o + "," + q + " of " + outer + "x" + r + "x" + inner);
                    }
            }
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void broadcastBinaryMatchesIndexLoops(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rank = between(rnd, 1, 5);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) out[d] = between(rnd, 1, 5);
        int[] as = broadcastable(rnd, out), bs = broadcastable(rnd, out);
        float[] a = values(rnd, (int) CpuBackend.numel(as)), b = values(rnd, (int) CpuBackend.numel(bs));
        for (BinaryOp op : BinaryOp.values()) {
            float[] got = new float[CpuBackend.numel(out)];
            B.binary(op, B.wrap(a), as, B.wrap(b), bs, B.wrap(got), out);
            int[] ix = new int[rank];
            for (int q = 0; q < got.length; q++) {
                int rem = q;
                for (int d = rank - 1; d >= 0; d--) {
                    ix[d] = rem % out[d];
                    rem /= out[d];
                }
                float av = a[flat(ix, as)], bv = b[flat(ix, bs)];
                float want = switch (op) {
                    case ADD -> av + bv;
                    case SUB -> av - bv;
                    case MUL -> av * bv;
                    case DIV -> av / bv;
                    case MAX -> Math.max(av, bv);
                    case MIN -> Math.min(av, bv);
                    case EQ -> av == bv ? 1f : 0f;
                    case GT -> av > bv ? 1f : 0f;
                };
                assertThat(got[q]).as("%s at %d for %s op %s", op, q, java.util.Arrays.toString(as), java.util.Arrays.toString(bs))
                        .isEqualTo(want);
            }
        }
    }

    /** A shape that broadcasts to {@code out}: a random suffix of it, some dims set to 1. */
    private static int[] broadcastable(SplittableRandom rnd, int[] out) {
        int rank = between(rnd, 0, out.length);
        int[] s = new int[rank];
        for (int d = 0; d < rank; d++) s[d] = rnd.nextInt(3) == 0 ? 1 : out[out.length - rank + d];
        return s;
    }

    /** Flat index into a right-aligned broadcast shape. */
    private static int flat(int[] ix, int[] shape) {
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            int i = ix[ix.length - shape.length + d];
            off = off * shape[d] + (shape[d] == 1 ? 0 : i);
        }
        return off;
    }
}
