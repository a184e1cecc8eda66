package dev.engram.nativetests;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.LongStream;

import static dev.engram.nativetests.Gpu.assertClose;
import static dev.engram.nativetests.Gpu.between;
import static dev.engram.nativetests.Gpu.values;

/**
 * Every differentiable op, forward and backward, on both backends through the public tensor API:
 * the same inputs and upstream gradient on the CPU and on cuda:0 must give the same output and
 * the same input gradients (tolerance 1e-4 absolute + 1e-4 relative, generous enough for the
 * cuDNN/cuBLAS summation order, far below any semantic difference).
 */
class OpParityTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 4).map(k -> 0x0B5E0000L + k * 104729);
    }

    /** One op: a function of device and the input tensors (int inputs are built inside per device). */
    private record Case(String name, int[][] shapes, float[][] data, BiFunction<Device, Tensor[], Tensor> f) {}

    private static void runBoth(Case c, SplittableRandom r) {
        Tensor[][] inputs = new Tensor[2][];
        Tensor[] outs = new Tensor[2];
        Device[] devices = {Device.CPU, Gpu.CUDA};
        float[] upstream = null;
        for (int k = 0; k < 2; k++) {
            inputs[k] = new Tensor[c.shapes.length];
            for (int i = 0; i < c.shapes.length; i++) {
                inputs[k][i] = Tensor.of(devices[k], c.data[i], c.shapes[i]).requiresGrad(true);
            }
            outs[k] = c.f.apply(devices[k], inputs[k]);
            if (upstream == null) upstream = values(r, (int) outs[k].numel(), -1, 1);
            outs[k].backward(Tensor.of(devices[k], upstream, outs[k].shape()));
        }
        assertClose(c.name + " forward", outs[0].toFloatArray(), outs[1].toFloatArray(), 1e-4, 1e-4);
        for (int i = 0; i < c.shapes.length; i++) {
            Tensor g0 = inputs[0][i].grad(), g1 = inputs[1][i].grad();
            if (g0 == null) continue;
            assertClose(c.name + " grad of input " + i, g0.toFloatArray(), g1.toFloatArray(), 1e-4, 1e-4);
        }
    }

    private static Case c(String name, List<int[]> shapes, List<float[]> data, BiFunction<Device, Tensor[], Tensor> f) {
        return new Case(name, shapes.toArray(new int[0][]), data.toArray(new float[0][]), f);
    }

    private static int numel(int... s) {
        int p = 1;
        for (int d : s) p *= d;
        return p;
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void everyOpForwardAndBackwardMatchesTheCpu(long seed) {
        Gpu.requireDevice();
        SplittableRandom r = new SplittableRandom(seed);
        List<Case> cases = new ArrayList<>();
        int[] s = {between(r, 1, 4), between(r, 2, 5), between(r, 2, 6)};
        int n = numel(s);
        int[] bs = {1, s[1], 1};
        float[] any = values(r, n, -2, 2), pos = values(r, n, 0.2, 3), other = values(r, n, -2, 2);
        float[] bv = values(r, numel(bs), 0.5, 2), distinct = Gpu.distinct(r, n, 0.05);
        List<int[]> one = List.of(s), two = List.of(s, bs);
        cases.add(c("add broadcast", two, List.of(any, bv), (d, t) -> t[0].add(t[1])));
        cases.add(c("sub broadcast", two, List.of(any, bv), (d, t) -> t[1].sub(t[0])));
        cases.add(c("mul broadcast", two, List.of(any, bv), (d, t) -> t[0].mul(t[1])));
        cases.add(c("div broadcast", two, List.of(any, bv), (d, t) -> t[0].div(t[1])));
        cases.add(c("maximum", List.of(s, s), List.of(distinct, other), (d, t) -> t[0].maximum(t[1])));
        cases.add(c("minimum", List.of(s, s), List.of(distinct, other), (d, t) -> t[0].minimum(t[1])));
        cases.add(c("where", List.of(s, s), List.of(any, other), (d, t) -> t[0].where(t[1].gt(Tensor.zeros(d, 1)), t[1])));
        cases.add(c("exp/log/sqrt/rsqrt", List.of(s), List.of(pos), (d, t) -> t[0].exp().add(t[0].log()).add(t[0].sqrt()).add(t[0].rsqrt())));
        cases.add(c("tanh/sigmoid/gelu/relu", one, List.of(any), (d, t) -> t[0].tanh().add(t[0].sigmoid()).add(t[0].gelu()).add(t[0].relu())));
        cases.add(c("abs/square/pow/reciprocal", List.of(s), List.of(pos), (d, t) -> t[0].abs().add(t[0].square()).add(t[0].pow(1.7f)).add(t[0].reciprocal())));
        cases.add(c("scale/add scalar/neg", one, List.of(any), (d, t) -> t[0].mul(-2.5f).add(3f).neg()));
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            cases.add(c("sum axis " + a, one, List.of(any), (d, t) -> t[0].sum(a, a == 1)));
            cases.add(c("mean axis " + a, one, List.of(any), (d, t) -> t[0].mean(a, false)));
            cases.add(c("max axis " + a, one, List.of(distinct), (d, t) -> t[0].max(a, true)));
            cases.add(c("softmax axis " + a, one, List.of(any), (d, t) -> Functional.softmax(t[0], a)));
            cases.add(c("log_softmax axis " + a, one, List.of(any), (d, t) -> Functional.logSoftmax(t[0], a)));
        }
        cases.add(c("sum all", one, List.of(any), (d, t) -> t[0].sum()));
        cases.add(c("reshape/permute/transpose", one, List.of(any), (d, t) -> t[0].permute(2, 0, 1).transpose(0, 1).reshape(-1)));
        cases.add(c("slice+cat", one, List.of(any), (d, t) -> Functional.cat(2, t[0].slice(2, 1, s[2]), t[0].slice(2, 0, 1))));
        cases.add(c("expand", List.of(bs), List.of(bv), (d, t) -> t[0].expand(3, s[1], 4)));
        int rows = between(r, 2, 9), cols = between(r, 1, 7);
        int[] idx = r.ints(between(r, 1, 12), 0, rows).toArray();
        cases.add(c("indexSelect", List.of(new int[] {rows, cols}), List.of(values(r, rows * cols, -1, 1)),
                (d, t) -> t[0].indexSelect(Tensor.ofInts(d, idx, idx.length))));
        int m = between(r, 1, 9), kk = between(r, 1, 9), nn = between(r, 1, 9), batch = between(r, 1, 3);
        cases.add(c("matmul", List.of(new int[] {m, kk}, new int[] {kk, nn}), List.of(values(r, m * kk, -1, 1),
                values(r, kk * nn, -1, 1)), (d, t) -> t[0].matmul(t[1])));
        cases.add(c("batched matmul", List.of(new int[] {batch, m, kk}, new int[] {batch, kk, nn}),
                List.of(values(r, batch * m * kk, -1, 1), values(r, batch * kk * nn, -1, 1)), (d, t) -> t[0].matmul(t[1])));
        cases.add(c("linear", List.of(new int[] {m, kk}, new int[] {nn, kk}, new int[] {nn}),
                List.of(values(r, m * kk, -1, 1), values(r, nn * kk, -1, 1), values(r, nn, -1, 1)),
                (d, t) -> Functional.linear(t[0], t[1], t[2])));
        int[] labels = r.ints(m, 0, nn).toArray();
        float[] logits = values(r, m * nn, -3, 3);
        cases.add(c("cross_entropy", List.of(new int[] {m, nn}), List.of(logits),
                (d, t) -> Functional.crossEntropy(t[0], Tensor.ofInts(d, labels, m))));
        cases.add(c("cross_entropy per example", List.of(new int[] {m, nn}), List.of(logits),
                (d, t) -> Functional.crossEntropyPerExample(t[0], Tensor.ofInts(d, labels, m))));
        int N = between(r, 1, 3), C = between(r, 1, 4), H = between(r, 4, 9), W = between(r, 4, 9), K = between(r, 1, 5);
        int[] xs = {N, C, H, W};
        float[] img = values(r, numel(xs), -1, 1), imgDistinct = Gpu.distinct(r, numel(xs), 0.01);
        cases.add(c("conv2d 3x3 pad 1 + bias", List.of(xs, new int[] {K, C, 3, 3}, new int[] {K}),
                List.of(img, values(r, K * C * 9, -1, 1), values(r, K, -1, 1)), (d, t) -> Functional.conv2d(t[0], t[1], t[2], 1, 1, 1)));
        cases.add(c("conv2d stride 2 dilation 2", List.of(xs, new int[] {K, C, 2, 2}),
                List.of(img, values(r, K * C * 4, -1, 1)), (d, t) -> Functional.conv2d(t[0], t[1], null, 2, 0, 2)));
        cases.add(c("max_pool2d", List.of(xs), List.of(imgDistinct), (d, t) -> Functional.maxPool2d(t[0], 2, 2, 0)));
        cases.add(c("max_pool2d padded overlapping", List.of(xs), List.of(imgDistinct), (d, t) -> Functional.maxPool2d(t[0], 3, 1, 1)));
        cases.add(c("avg_pool2d padded", List.of(xs), List.of(img), (d, t) -> Functional.avgPool2d(t[0], 3, 2, 1)));
        cases.add(c("global max pool", List.of(xs), List.of(imgDistinct), (d, t) -> Functional.globalMaxPool(t[0])));
        cases.add(c("adaptive avg pool", List.of(xs), List.of(img), (d, t) -> Functional.adaptiveAvgPool2d(t[0], 1, 1)));
        float[] gamma = values(r, C, 0.5, 1.5), beta = values(r, C, -0.5, 0.5);
        for (boolean training : new boolean[] {true, false}) {
            cases.add(c("batch_norm training=" + training, List.of(xs, new int[] {C}, new int[] {C}), List.of(img, gamma, beta),
                    (d, t) -> Functional.batchNorm(t[0], t[1], t[2], Tensor.zeros(d, C), Tensor.ones(C).to(d), training, 0.1f, 1e-5f)));
        }
        cases.add(c("layer_norm", List.of(s, new int[] {s[2]}, new int[] {s[2]}),
                List.of(any, values(r, s[2], 0.5, 1.5), values(r, s[2], -1, 1)), (d, t) -> Functional.layerNorm(t[0], t[1], t[2], 1e-5f)));
        cases.add(c("mask shared", List.of(xs, new int[] {C}), List.of(img, values(r, C, 0, 1)), (d, t) -> Functional.mask(t[0], t[1])));
        cases.add(c("mask per example", List.of(xs, new int[] {N, C}), List.of(img, values(r, N * C, 0, 1)),
                (d, t) -> Functional.mask(t[0], t[1])));
        cases.add(c("dropout", one, List.of(any), (d, t) -> Functional.dropout(t[0], 0.3f, seed, 17)));
        for (Case cs : cases) runBoth(cs, r);
    }
}
