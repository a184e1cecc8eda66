package dev.engram.engine.cpu;

import dev.engram.engine.DType;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one definition of MAX/MIN reductions and argmax that every backend implements (see
 * {@link dev.engram.engine.spi.Backend#reduce}): a fold of {@link Math#max(float, float)} /
 * {@link Math#min(float, float)}, so NaN propagates (as in PyTorch) and {@code +0.0 > -0.0};
 * argmax is the first index holding that value.
 */
class ReductionNanSemanticsTest {
    private static final CpuBackend B = CpuBackend.INSTANCE;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 10).map(k -> 0xA11AL * k + 3);
    }

    private static float reduce(ReduceOp op, float[] x) {
        float[] out = new float[1];
        B.reduce(op, B.wrap(x), B.wrap(out), 1, x.length, 1);
        return out[0];
    }

    private static int argmax(float[] x) {
        Storage out = B.allocate(DType.INT32, 1);
        B.argmax(B.wrap(x), out, 1, x.length, 1);
        int[] r = new int[1];
        B.readInts(out, 0, r, 0, 1);
        return r[0];
    }

    private static int bits(float v) {
        return Float.floatToRawIntBits(v);
    }

    @Test
    void aNanAnywherePropagatesEvenWhenALargerValueFollows() {
        // the case: NaN at index 5, the true maximum 7 at index 133, a row long enough for the GPU tree path
        float[] x = new float[5000];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) - 1f;
        x[133] = 7f;
        assertThat(reduce(ReduceOp.MAX, x)).as("max without NaN").isEqualTo(7f);
        assertThat(argmax(x)).as("argmax without NaN").isEqualTo(133);
        x[5] = Float.NaN;
        assertThat(reduce(ReduceOp.MAX, x)).as("max with a NaN at 5").isNaN();
        assertThat(reduce(ReduceOp.MIN, x)).as("min with a NaN at 5").isNaN();
        assertThat(argmax(x)).as("argmax points at the NaN").isEqualTo(5);
        x[0] = Float.NaN;
        assertThat(reduce(ReduceOp.MAX, x)).as("max with a NaN first").isNaN();
        assertThat(argmax(x)).as("argmax: the first NaN").isZero();
    }

    @Test
    void signedZerosOrderAsMathMaxAndMin() {
        for (float[] x : new float[][] {{-0f, 0f}, {0f, -0f}, {-0f, 0f, -0f}}) {
            assertThat(bits(reduce(ReduceOp.MAX, x))).as("max of signed zeros is +0").isEqualTo(bits(0f));
            assertThat(bits(reduce(ReduceOp.MIN, x))).as("min of signed zeros is -0").isEqualTo(bits(-0f));
        }
        assertThat(argmax(new float[] {-0f, 0f, -0f})).as("argmax prefers +0 over an earlier -0").isEqualTo(1);
        assertThat(argmax(new float[] {0f, -0f, 0f})).as("argmax keeps the first +0").isZero();
    }

    @Test
    void tiesGoToTheFirstIndexAlongEveryInnerColumn() {
        // [outer=1, r=4, inner=3]: column 0 ties at j=1,2; column 1 has a NaN at j=3; column 2 all equal
        float[] x = {0, 5, 1, 3, 5, 1, 3, 5, 1, 2, Float.NaN, 1};
        float[] max = new float[3];
        B.reduce(ReduceOp.MAX, B.wrap(x), B.wrap(max), 1, 4, 3);
        assertThat(max[0]).isEqualTo(3f);
        assertThat(max[1]).isNaN();
        assertThat(max[2]).isEqualTo(1f);
        Storage idx = B.allocate(DType.INT32, 3);
        B.argmax(B.wrap(x), idx, 1, 4, 3);
        int[] got = new int[3];
        B.readInts(idx, 0, got, 0, 3);
        assertThat(got).containsExactly(1, 3, 0);
    }

    /** Any order of folding gives the same bits, and argmax points at an element with exactly those bits. */
    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void resultIsIndependentOfOrderAndArgmaxAgreesWithMax(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int outer = 1 + r.nextInt(4), len = 1 + r.nextInt(300), inner = 1 + r.nextInt(3);
        float[] pool = {Float.NaN, 0f, -0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 2.5f};
        float[] x = new float[outer * len * inner];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(6) == 0 ? pool[r.nextInt(pool.length)] : (float) r.nextGaussian();
        float[] max = new float[outer * inner], min = new float[outer * inner];
        B.reduce(ReduceOp.MAX, B.wrap(x), B.wrap(max), outer, len, inner);
        B.reduce(ReduceOp.MIN, B.wrap(x), B.wrap(min), outer, len, inner);
        Storage idx = B.allocate(DType.INT32, (long) outer * inner);
        B.argmax(B.wrap(x), idx, outer, len, inner);
        int[] am = new int[outer * inner];
        B.readInts(idx, 0, am, 0, am.length);
        for (int o = 0; o < outer; o++) {
            for (int q = 0; q < inner; q++) {
                // fold backwards (a different order from the backend's)
                float fm = x[(o * len + len - 1) * inner + q], fn = fm;
                for (int j = len - 2; j >= 0; j--) {
                    fm = Math.max(x[(o * len + j) * inner + q], fm);
                    fn = Math.min(x[(o * len + j) * inner + q], fn);
                }
                String at = "column (" + o + ", " + q + ") of [" + outer + ", " + len + ", " + inner + "], seed " + seed;
                assertThat(bits(max[o * inner + q])).as("max " + at).isEqualTo(bits(fm));
                assertThat(bits(min[o * inner + q])).as("min " + at).isEqualTo(bits(fn));
                int j = am[o * inner + q];
                assertThat(bits(x[(o * len + j) * inner + q])).as("x[argmax] = max " + at).isEqualTo(bits(fm));
                for (int e = 0; e < j; e++) {
                    assertThat(bits(x[(o * len + e) * inner + q])).as("no earlier element equals the max " + at)
                            .isNotEqualTo(bits(fm));
                }
            }
        }
    }
}
