package dev.engram.engine.cpu;

import dev.engram.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ReLU as PyTorch defines it: {@code x <= 0 ? +0 : x} forward (NaN of either sign propagates) and
 * {@code x <= 0 ? 0 : dy} backward (a NaN input passes its gradient). Checked element by element
 * against that plain definition, on special values and on random bit patterns (every NaN payload,
 * subnormals, both zeros), through the backend and through both backward implementations (plain Java and, when the
 * JVM has the Vector API, the vector one) on ranges around every lane boundary.
 */
class ReluSemanticsTest {
    private static final CpuBackend B = CpuBackend.INSTANCE;

    private static float expectedForward(float x) {
        return x <= 0f ? 0f : x;
    }

    private static float expectedBackward(float x, float dy) {
        return x <= 0f ? 0f : dy;
    }

    private static void assertSameBits(String what, float[] x, float[] actual, float[] expected) {
        for (int i = 0; i < x.length; i++) {
            assertThat(Float.floatToRawIntBits(actual[i]))
                    .as("%s at x = %s (bits %08x)", what, x[i], Float.floatToRawIntBits(x[i]))
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }

    @Test
    void nanPropagatesForwardAndPassesItsGradient() {
        float[] x = {Float.NaN, Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001), -0f, 0f, -1f, 2f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        Tensor t = Tensor.of(x.clone(), x.length).requiresGrad(true);
        Tensor y = t.relu();
        float[] out = y.toFloatArray();
        assertThat(out[0]).isNaN();
        assertThat(out[1]).as("a negative NaN").isNaN();
        assertThat(out[2]).as("a signalling-payload NaN").isNaN();
        assertThat(Float.floatToRawIntBits(out[3])).as("relu(-0) is +0").isZero();
        assertThat(out).containsSequence(0f, 0f, 2f, Float.POSITIVE_INFINITY, 0f, Float.MIN_VALUE, 0f);
        y.sum().backward();
        assertThat(t.grad().toFloatArray()).containsExactly(1f, 1f, 1f, 0f, 0f, 0f, 1f, 1f, 0f, 1f, 0f);
    }

    @Test
    void specialValuesFollowThePlainDefinitionBitForBit() {
        float[] x = {1.5f, -2f, 0f, -0f, Float.NaN, Float.intBitsToFloat(0xffc00001), Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 3e-39f};
        float[] dy = new float[x.length], y = new float[x.length], dx = new float[x.length];
        float[] wantY = new float[x.length], wantDx = new float[x.length];
        for (int q = 0; q < x.length; q++) dy[q] = q % 2 == 0 ? q + 0.5f : -0f;
        B.unary(dev.engram.engine.spi.UnaryOp.RELU, 0f, B.wrap(x), B.wrap(y), x.length);
        B.unaryBackward(dev.engram.engine.spi.UnaryOp.RELU, 0f, B.wrap(x), B.wrap(y), B.wrap(dy), B.wrap(dx), x.length);
        for (int q = 0; q < x.length; q++) {
            wantY[q] = expectedForward(x[q]);
            wantDx[q] = expectedBackward(x[q], dy[q]);
        }
        assertSameBits("relu", x, y, wantY);
        assertSameBits("relu backward", x, dx, wantDx);
    }

    @Test
    void everyBitPatternFollowsThePlainDefinition() {
        SplittableRandom r = new SplittableRandom(0x2E1L);
        int n = 1 << 20;
        float[] x = new float[n], dy = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = r.nextInt();
            // a quarter from the exponent extremes, where NaN, inf, zeros and subnormals live
            if ((i & 3) == 0) bits = (bits & 0x807fffff) | (r.nextBoolean() ? 0x7f800000 : 0);
            x[i] = Float.intBitsToFloat(bits);
            dy[i] = (float) r.nextDouble(-1, 1);
        }
        float[] y = new float[n], dx = new float[n], wantY = new float[n], wantDx = new float[n];
        B.unary(dev.engram.engine.spi.UnaryOp.RELU, 0f, B.wrap(x), B.wrap(y), n);
        B.unaryBackward(dev.engram.engine.spi.UnaryOp.RELU, 0f, B.wrap(x), B.wrap(y), B.wrap(dy), B.wrap(dx), n);
        for (int i = 0; i < n; i++) {
            wantY[i] = expectedForward(x[i]);
            wantDx[i] = expectedBackward(x[i], dy[i]);
        }
        assertSameBits("relu", x, y, wantY);
        assertSameBits("relu backward", x, dx, wantDx);
    }

    static Stream<Arguments> backwardRanges() {
        int[][] ranges = {{0, 0}, {0, 1}, {3, 10}, {0, 15}, {1, 17}, {0, 16}, {5, 37}, {0, 64}, {7, 71}, {2, 1000}};
        return Stream.of(new ReluBackward.Scalar(), ReluBackward.get())
                .flatMap(impl -> java.util.Arrays.stream(ranges).map(r -> Arguments.of(impl, r[0], r[1])));
    }

    @ParameterizedTest(name = "{0} [{1}, {2})")
    @MethodSource("backwardRanges")
    void backwardImplementationsFollowThePlainDefinitionOnTheirRangeOnly(ReluBackward impl, int from, int to) {
        SplittableRandom r = new SplittableRandom(31L * to + from);
        int n = to + 5;
        float[] x = new float[n], dy = new float[n], dx = new float[n], want = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = r.nextInt();
            if ((i & 1) == 0) bits = (bits & 0x807fffff) | (r.nextBoolean() ? 0x7f800000 : 0);
            x[i] = Float.intBitsToFloat(bits);
            dy[i] = r.nextBoolean() ? -0f : (float) r.nextDouble(-1, 1);
            dx[i] = want[i] = 42f; // outside [from, to) nothing may be written
        }
        for (int i = from; i < to; i++) want[i] = expectedBackward(x[i], dy[i]);
        impl.apply(x, dy, dx, from, to);
        assertSameBits(impl + " relu backward", x, dx, want);
    }
}
