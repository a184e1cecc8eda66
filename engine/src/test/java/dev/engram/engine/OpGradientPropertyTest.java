package dev.engram.engine;

import dev.engram.engine.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every differentiable op's backward against central finite differences, over seeded random
 * shapes and values. The seed is in each test's name; rerun a failure with that seed.
 */
class OpGradientPropertyTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 6).map(k -> 0x5EED0000L + k * 7919);
    }

    private static GradCheck.Report check(String name, Gen g, java.util.function.Function<Tensor[], Tensor> f, Tensor... in) {
        GradCheck.Report r = GradCheck.of(name, g.seed).check(f, in);
        assertThat(r.checked()).as("elements checked for " + name).isPositive();
        return r;
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void broadcastingBinaryOps(long seed) {
        Gen g = new Gen(seed);
        int[] out = g.shape(g.between(1, 4), 1, 4);
        int[] bShape = out.clone();
        for (int k = 0; k < bShape.length; k++) if (g.rnd.nextBoolean()) bShape[k] = 1;
        if (g.rnd.nextBoolean() && bShape.length > 1) bShape = java.util.Arrays.copyOfRange(bShape, 1, bShape.length);
        Tensor a = g.param(out), b = g.param(bShape);
        Tensor bPos = g.param(g.values((int) Shapes.numel(bShape), 0.5, 2), bShape);
        check("add", g, t -> t[0].add(t[1]), a, b);
        check("sub", g, t -> t[1].sub(t[0]), a, b);
        check("mul", g, t -> t[0].mul(t[1]), a, b);
        check("div", g, t -> t[0].div(t[1]), a, bPos);
        Tensor c = g.param(g.distinct((int) Shapes.numel(out), 0.1), out);
        Tensor d = g.param(g.distinct((int) Shapes.numel(out), 0.1), out);
        d.copyFrom(d.detach().add(0.05f));
        check("maximum", g, t -> t[0].maximum(t[1]), c, d);
        check("minimum", g, t -> t[0].minimum(t[1]), c, d);
        Tensor cond = Tensor.of(g.values((int) Shapes.numel(out), -1, 1), out).gt(Tensor.zeros(1));
        check("where", g, t -> t[0].where(cond, t[1]), a, g.param(out));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void unaryOps(long seed) {
        Gen g = new Gen(seed);
        int[] s = g.shape(g.between(1, 3), 1, 5);
        int n = (int) Shapes.numel(s);
        Tensor any = g.param(s);
        Tensor pos = g.param(g.values(n, 0.3, 2.0), s);
        Tensor away = g.param(g.awayFromZero(n, 0.1, 2.0), s);
        check("neg", g, t -> t[0].neg(), any);
        check("exp", g, t -> t[0].exp(), any);
        check("log", g, t -> t[0].log(), pos);
        check("sqrt", g, t -> t[0].sqrt(), pos);
        check("rsqrt", g, t -> t[0].rsqrt(), pos);
        check("reciprocal", g, t -> t[0].reciprocal(), pos);
        check("abs", g, t -> t[0].abs(), away);
        check("relu", g, t -> t[0].relu(), away);
        check("gelu", g, t -> t[0].gelu(), any);
        check("tanh", g, t -> t[0].tanh(), any);
        check("sigmoid", g, t -> t[0].sigmoid(), any);
        check("square", g, t -> t[0].square(), any);
        check("pow", g, t -> t[0].pow(1.7f), pos);
        check("scale", g, t -> t[0].mul(-2.5f), any);
        check("add_scalar", g, t -> t[0].add(3f), any);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void reductionsOverEachAxis(long seed) {
        Gen g = new Gen(seed);
        int rank = g.between(1, 4);
        int[] s = g.shape(rank, 1, 4);
        Tensor x = g.param(s);
        check("sum_all", g, t -> t[0].sum(), x);
        check("mean_all", g, t -> t[0].mean(), x);
        for (int ax = 0; ax < rank; ax++) {
            int a = ax;
            boolean keep = g.rnd.nextBoolean();
            check("sum_axis" + a, g, t -> t[0].sum(a, keep), x);
            check("mean_axis" + a, g, t -> t[0].mean(a, !keep), x);
            Tensor d = g.param(g.distinct((int) Shapes.numel(s), 0.1), s);
            check("max_axis" + a, g, t -> t[0].max(a, keep), d);
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void shapeOps(long seed) {
        Gen g = new Gen(seed);
        int[] s = g.shape(3, 1, 4);
        Tensor x = g.param(s);
        check("reshape", g, t -> t[0].reshape(-1, s[2]).mul(t[0].reshape(-1, s[2])), x);
        check("permute", g, t -> t[0].permute(2, 0, 1), x);
        check("transpose", g, t -> t[0].transpose(0, 2), x);
        int ax = g.between(0, 2);
        int start = g.between(0, s[ax] - 1), end = g.between(start + 1, s[ax]);
        check("slice", g, t -> t[0].slice(ax, start, end), x);
        int[] s2 = s.clone();
        s2[ax] = g.between(1, 3);
        Tensor y = g.param(s2);
        check("cat", g, t -> Functional.cat(ax, t[0], t[1], t[0]), x, y);
        int[] idx = g.labels(g.between(1, 6), s[0]);
        Tensor index = Tensor.ofInts(idx, idx.length);
        check("index_select", g, t -> t[0].indexSelect(index), x);
        Tensor one = g.param(1, s[1], 1);
        check("expand", g, t -> t[0].expand(s), one);
        check("unsqueeze", g, t -> t[0].unsqueeze(1).mul(2f), x);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void matrixProducts(long seed) {
        Gen g = new Gen(seed);
        int m = g.between(1, 7), k = g.between(1, 9), n = g.between(1, 6), b = g.between(1, 3);
        check("matmul_2d", g, t -> t[0].matmul(t[1]), g.param(m, k), g.param(k, n));
        check("matmul_nd_2d", g, t -> t[0].matmul(t[1]), g.param(b, m, k), g.param(k, n));
        check("matmul_batched", g, t -> t[0].matmul(t[1]), g.param(b, m, k), g.param(b, k, n));
        check("linear", g, t -> Functional.linear(t[0], t[1], t[2]), g.param(b, m, k), g.param(n, k), g.param(n));
        check("linear_nobias", g, t -> Functional.linear(t[0], t[1], null), g.param(m, k), g.param(n, k));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void conv2dStridePaddingDilation(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(1, 2), c = g.between(1, 3), k = g.between(1, 3);
        int r = g.between(1, 3), sz = g.between(1, 3);
        int stride = g.between(1, 2), pad = g.between(0, 2), dil = g.between(1, 2);
        int h = dil * (r - 1) + g.between(1, 4), w = dil * (sz - 1) + g.between(1, 4);
        boolean bias = g.rnd.nextBoolean();
        Tensor x = g.param(n, c, h, w), wt = g.param(k, c, r, sz), bt = bias ? g.param(k) : null;
        String name = "conv2d r" + r + "x" + sz + " s" + stride + " p" + pad + " d" + dil;
        if (bias) check(name, g, t -> Functional.conv2d(t[0], t[1], t[2], stride, pad, dil), x, wt, bt);
        else check(name, g, t -> Functional.conv2d(t[0], t[1], null, stride, pad, dil), x, wt);
        // asymmetric settings
        check("conv2d asym", g, t -> Functional.conv2d(t[0], t[1], null, 1, 2, 1, 0, 1, 1), g.param(1, c, 4, 5), g.param(k, c, 2, 1));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void pooling(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(1, 2), c = g.between(1, 3), h = g.between(2, 6), w = g.between(2, 6);
        int kk = g.between(1, Math.min(3, Math.min(h, w))), st = g.between(1, 2), pad = kk / 2 > 0 ? g.between(0, kk / 2) : 0;
        Tensor d = g.param(g.distinct(n * c * h * w, 0.07), n, c, h, w);
        check("max_pool2d k" + kk + " s" + st + " p" + pad, g, t -> Functional.maxPool2d(t[0], kk, st, pad), d);
        check("avg_pool2d k" + kk + " s" + st + " p" + pad, g, t -> Functional.avgPool2d(t[0], kk, st, pad), g.param(n, c, h, w));
        check("global_max_pool", g, t -> Functional.globalMaxPool(t[0]), d);
        check("adaptive_avg_pool", g, t -> Functional.adaptiveAvgPool2d(t[0], 1, 1), g.param(n, c, h, w));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void batchNormTrainAndEval(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(2, 4), c = g.between(1, 3), h = g.between(1, 3), w = g.between(1, 3);
        Tensor x = g.param(n, c, h, w), gamma = g.param(g.values(c, 0.5, 1.5), c), beta = g.param(c);
        Tensor rm = Tensor.of(g.values(c, -0.5, 0.5), c), rv = Tensor.of(g.values(c, 0.5, 2), c);
        check("batch_norm_train", g, t -> Functional.batchNorm(t[0], t[1], t[2], null, null, true, 0.1f, 1e-5f), x, gamma, beta);
        check("batch_norm_eval", g, t -> Functional.batchNorm(t[0], t[1], t[2], rm, rv, false, 0.1f, 1e-5f), x, gamma, beta);
        check("batch_norm_1d", g, t -> Functional.batchNorm(t[0], t[1], t[2], null, null, true, 0.1f, 1e-5f),
                g.param(n + 1, c), gamma, beta);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void layerNorm(long seed) {
        Gen g = new Gen(seed);
        int rows = g.between(1, 4), cols = g.between(2, 8);
        Tensor x = g.param(g.between(1, 2), rows, cols);
        check("layer_norm", g, t -> Functional.layerNorm(t[0], t[1], t[2], 1e-5f), x, g.param(cols), g.param(cols));
        check("layer_norm_noaffine", g, t -> Functional.layerNorm(t[0], null, null, 1e-5f), x);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void softmaxAndCrossEntropy(long seed) {
        Gen g = new Gen(seed);
        int[] s = g.shape(3, 1, 5);
        Tensor x = g.param(s);
        for (int ax = 0; ax < 3; ax++) {
            int a = ax;
            check("softmax_axis" + a, g, t -> Functional.softmax(t[0], a), x);
            check("log_softmax_axis" + a, g, t -> Functional.logSoftmax(t[0], a), x);
        }
        int b = g.between(1, 6), classes = g.between(2, 7);
        Tensor logits = g.param(b, classes);
        Tensor labels = Tensor.ofInts(g.labels(b, classes), b);
        check("cross_entropy_per_example", g, t -> Functional.crossEntropyPerExample(t[0], labels), logits);
        check("cross_entropy_mean", g, t -> Functional.crossEntropy(t[0], labels), logits);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void neuronMasks(long seed) {
        Gen g = new Gen(seed);
        int n = g.between(1, 3), c = g.between(1, 4), h = g.between(1, 3);
        Tensor x = g.param(n, c, h, h);
        check("mask_shared", g, t -> Functional.mask(t[0], t[1]), x, g.param(c));
        check("mask_per_example", g, t -> Functional.mask(t[0], t[1]), x, g.param(n, c));
        check("mask_2d_input", g, t -> Functional.mask(t[0], t[1]), g.param(n, c), g.param(n, c));
    }
}
