package dev.engram.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Both row-sum implementations against double-precision loops, on lengths around every lane and block boundary. */
class RowSumsTest {
    static Stream<Arguments> cases() {
        int[] lengths = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025, 2048 + 5, 12544};
        return Stream.of(new RowSums.Scalar(), RowSums.get())
                .flatMap(impl -> java.util.Arrays.stream(lengths).mapToObj(len -> Arguments.of(impl, len)));
    }

    @ParameterizedTest(name = "{0} length {1}")
    @MethodSource("cases")
    void sumsMatchDoubleLoops(RowSums impl, int len) {
        SplittableRandom rnd = new SplittableRandom(31L * len + 7);
        int off = 5;
        float[] x = new float[off + len + 3], dy = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 2 + 3); // a mean far from 0 tests the centring
            dy[i] = (float) rnd.nextGaussian();
        }
        float mu = 2.9f;
        double s = 0, sq = 0, sdy = 0, dot = 0, abs = 0, absSq = 0, absDot = 0;
        for (int i = off; i < off + len; i++) {
            s += x[i];
            abs += Math.abs(x[i]);
            double d = (double) x[i] - mu;
            sq += d * d;
            sdy += dy[i];
            dot += dy[i] * d;
            absDot += Math.abs(dy[i] * d);
        }
        absSq = sq;
        // a few float roundings per value at most
        double tol = 1e-6;
        assertThat(impl.sum(x, off, len)).isCloseTo(s, within(tol * abs + 1e-12));
        assertThat(impl.sumSquaredDeviations(x, off, len, mu)).isCloseTo(sq, within(tol * absSq + 1e-12));
        double[] acc = {1.5, -2.5, 4.0}; // added to, not overwritten
        impl.sumAndCenteredDot(dy, x, off, len, mu, acc);
        double absDy = 0, dev = 0, absDev = 0;
        for (int i = off; i < off + len; i++) {
            absDy += Math.abs(dy[i]);
            dev += (double) x[i] - mu;
            absDev += Math.abs((double) x[i] - mu);
        }
        assertThat(acc[0] - 1.5).isCloseTo(sdy, within(tol * absDy + 1e-12));
        assertThat(acc[1] + 2.5).isCloseTo(dot, within(tol * absDot + 1e-12));
        assertThat(acc[2] - 4.0).isCloseTo(dev, within(tol * absDev + 1e-12));
        // a dot product of runs at different offsets (the second array's run starts 2 later)
        float[] y = new float[x.length + 2];
        for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian();
        double xy = 0, absXy = 0;
        for (int i = off; i < off + len; i++) {
            xy += (double) x[i] * y[i + 2];
            absXy += Math.abs((double) x[i] * y[i + 2]);
        }
        assertThat(impl.dot(x, off, y, off + 2, len)).isCloseTo(xy, within(tol * absXy + 1e-12));
        if (impl == RowSums.get()) assertThat(FloatDots.dot(x, off, y, off + 2, len)).isEqualTo(impl.dot(x, off, y, off + 2, len));
    }

    @ParameterizedTest(name = "{0} length {1}")
    @MethodSource("cases")
    void allFiniteFindsEveryInfinityAndNaNOnlyInsideTheRun(RowSums impl, int len) {
        int off = 5;
        float[] x = new float[off + len + 3];
        SplittableRandom rnd = new SplittableRandom(len);
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 1e30); // large, finite
        x[off - 1] = Float.NaN; // just outside the run on both sides
        x[off + len] = Float.POSITIVE_INFINITY;
        assertThat(impl.allFinite(x, off, len)).isTrue();
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, len / 2, len - 1}) {
                if (len == 0) continue;
                float keep = x[off + at];
                x[off + at] = bad;
                assertThat(impl.allFinite(x, off, len)).as("%s at %d of %d", bad, at, len).isFalse();
                x[off + at] = keep;
            }
        }
    }

    @Test
    void dotsRefuseRunsOutsideTheirArrays() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FloatDots.dot(new float[4], 2, new float[8], 0, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void vectorImplementationIsUsedWhenTheModuleIsPresent() {
        // the tests run with --add-modules jdk.incubator.vector
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        assertThat(RowSums.get().name()).startsWith("vector-");
    }
}
