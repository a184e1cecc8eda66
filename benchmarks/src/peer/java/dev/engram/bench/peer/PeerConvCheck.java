package dev.engram.bench.peer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Checks that the peer computes what it is timed on: libtorch's conv2d forward on a few shapes (among them the
 * convolutions of the step workloads' layer kinds: 3×3 and 5×5, stride 1 and 2, with and without padding, channel
 * counts that are not multiples of a vector width) against a direct double-precision loop. Prints one line per shape
 * and a final {@code PEERCHECK conv2d <largest |difference|> <largest |value|> <shapes> <ok|WRONG>} that
 * {@code benchmarks/side-by-side.sh} puts under its table, so that a comparison against a peer whose convolutions
 * are wrong on the machine at hand says so. Run with the same environment as {@link DjlStepBenchmark}.
 */
public final class PeerConvCheck {
    /** Relative tolerance: float32 sums over at most a few thousand products. */
    static final double TOLERANCE = 1e-4;

    private PeerConvCheck() { }

    public static void main(String[] args) {
        // n, c, h, w, k, r (= s), stride, pad
        int[][] shapes = {{3, 20, 6, 5, 7, 3, 1, 0}, {2, 33, 8, 7, 10, 5, 1, 1}, {2, 3, 7, 9, 5, 3, 1, 1},
            {4, 16, 12, 12, 24, 3, 1, 1}, {2, 64, 16, 16, 64, 3, 1, 1}, {2, 64, 32, 32, 128, 5, 2, 2},
            {2, 3, 32, 32, 64, 3, 1, 1}, {2, 32, 14, 14, 64, 3, 2, 1}, {2, 1, 28, 28, 32, 3, 1, 1}, {2, 32, 14, 14, 64, 3, 1, 1}};
        double worst = 0, scale = 0;
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int[] s : shapes) {
                int n = s[0], c = s[1], h = s[2], w = s[3], k = s[4], r = s[5], st = s[6], p = s[7];
                SplittableRandom rnd = new SplittableRandom(17L * n + c);
                float[] x = new float[n * c * h * w], wt = new float[k * c * r * r];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
                for (int i = 0; i < wt.length; i++) wt[i] = (float) rnd.nextDouble(-1, 1);
                NDArray xs = nd.create(x, new Shape(n, c, h, w)), ws = nd.create(wt, new Shape(k, c, r, r));
                float[] y = xs.getNDArrayInternal().convolution(xs, ws, null, new Shape(st, st), new Shape(p, p),
                        new Shape(1, 1), 1).singletonOrThrow().toFloatArray();
                int oh = (h + 2 * p - r) / st + 1, ow = (w + 2 * p - r) / st + 1;
                double diff = 0, max = 0;
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < k; o++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++) {
                                double acc = 0;
                                for (int ci = 0; ci < c; ci++)
                                    for (int ky = 0; ky < r; ky++)
                                        for (int kx = 0; kx < r; kx++) {
                                            int iy = oy * st - p + ky, ix = ox * st - p + kx;
                                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                            acc += (double) x[((b * c + ci) * h + iy) * w + ix] * wt[((o * c + ci) * r + ky) * r + kx];
                                        }
                                diff = Math.max(diff, Math.abs(acc - y[((b * k + o) * oh + oy) * ow + ox]));
                                max = Math.max(max, Math.abs(acc));
                            }
                System.out.printf(Locale.ROOT, "conv2d n=%d c=%d %dx%d k=%d %dx%d stride %d pad %d: largest |difference|"
                        + " %.3g, largest |value| %.3g%n", n, c, h, w, k, r, r, st, p, diff, max);
                worst = Math.max(worst, diff);
                scale = Math.max(scale, max);
            }
        }
        System.out.printf(Locale.ROOT, "PEERCHECK\tconv2d\t%.3g\t%.3g\t%d\t%s%n", worst, scale, shapes.length,
                worst <= TOLERANCE * Math.max(1, scale) ? "ok" : "WRONG");
    }
}
