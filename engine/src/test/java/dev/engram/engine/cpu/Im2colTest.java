package dev.engram.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.engine.spi.ConvGeometry;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * im2col and col2im against their definitions, bit for bit, on random geometries that reach every
 * copy layout: whole shifted planes, row segments (short and long) and stride-phased rows.
 */
class Im2colTest {
    static LongStream seeds() {
        return LongStream.range(0, 60);
    }

    private static ConvGeometry randomGeometry(SplittableRandom rnd) {
        while (true) {
            int r = 1 + rnd.nextInt(5), s = 1 + rnd.nextInt(5);
            int sh = 1 + rnd.nextInt(3), sw = 1 + rnd.nextInt(3), dh = 1 + rnd.nextInt(2), dw = 1 + rnd.nextInt(2);
            int ph = rnd.nextInt(r + 1), pw = rnd.nextInt(s + 1);
            int h = 1 + rnd.nextInt(12), w = 1 + rnd.nextInt(40);
            if (h + 2 * ph - dh * (r - 1) - 1 < 0 || w + 2 * pw - dw * (s - 1) - 1 < 0) continue;
            return new ConvGeometry(1, 1 + rnd.nextInt(3), h, w, 1, r, s, sh, sw, ph, pw, dh, dw);
        }
    }

    /** Input column of output column xq under tap ks, or -1 in the padding; likewise for rows. */
    private static int source(int out, int tap, int stride, int dil, int pad, int size) {
        int i = out * stride + tap * dil - pad;
        return i >= 0 && i < size ? i : -1;
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void im2colEqualsItsDefinitionAndCol2imSumsInTapOrder(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ConvGeometry g = randomGeometry(rnd);
        int c = g.c(), h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW(), rows = g.colRows(), ohw = oh * ow;
        int xo = rnd.nextInt(5), co = rnd.nextInt(5), ld = ohw + rnd.nextInt(4);
        float[] x = new float[xo + c * h * w];
        for (int q = 0; q < x.length; q++) x[q] = (float) rnd.nextGaussian();
        float[] cols = new float[co + rows * ld];
        java.util.Arrays.fill(cols, Float.NaN); // every element of the matrix must be written
        Im2col.im2col(x, xo, g, cols, co, ld);
        float[] upstream = new float[cols.length];
        for (int q = 0; q < upstream.length; q++) upstream[q] = (float) rnd.nextGaussian();
        float[] dx = new float[x.length], want = new float[x.length];
        for (int ch = 0; ch < c; ch++)
            for (int kr = 0; kr < g.r(); kr++)
                for (int ks = 0; ks < g.s(); ks++) {
                    int row = (ch * g.r() + kr) * g.s() + ks;
                    for (int y = 0; y < oh; y++)
                        for (int xq = 0; xq < ow; xq++) {
                            int iy = source(y, kr, g.strideH(), g.dilH(), g.padH(), h);
                            int ix = source(xq, ks, g.strideW(), g.dilW(), g.padW(), w);
                            int at = co + row * ld + y * ow + xq;
                            float expect = iy < 0 || ix < 0 ? 0f : x[xo + (ch * h + iy) * w + ix];
                            assertThat(Float.floatToRawIntBits(cols[at])).as("cols[row %d, y %d, x %d] of %s", row, y, xq, g)
                                    .isEqualTo(Float.floatToRawIntBits(expect));
                            if (iy >= 0 && ix >= 0) want[xo + (ch * h + iy) * w + ix] += upstream[at];
                        }
                }
        float[] dcols = upstream.clone();
        Im2col.col2imAdd(dcols, co, ld, g, dx, xo);
        for (int q = 0; q < dx.length; q++) {
            assertThat(Float.floatToRawIntBits(dx[q])).as("dx[%d] of %s", q, g).isEqualTo(Float.floatToRawIntBits(want[q]));
        }
    }
}
