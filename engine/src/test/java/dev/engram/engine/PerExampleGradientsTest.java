package dev.engram.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.engram.engine.PerExampleFixtures.all;
import static dev.engram.engine.PerExampleFixtures.assertClose;
import static dev.engram.engine.PerExampleFixtures.batchOfOne;
import static dev.engram.engine.PerExampleFixtures.norms;
import static dev.engram.engine.PerExampleFixtures.rows;
import static dev.engram.engine.PerExampleFixtures.sumOverExamples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-example gradients and norms against batch-of-one backward passes, for every op with a
 * rule and for small models built from {@link Functional} ops.
 */
class PerExampleGradientsTest {
    private static final double RTOL = 2e-3;

    /** A loss written as the mean of per-example terms; {@code terms(idx)} computes those of examples idx. */
    record Case(String name, List<Tensor> params, Function<int[], Tensor> terms, int batch) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Tensor labels(int[] labels, int[] idx) {
        int[] l = new int[idx.length];
        for (int i = 0; i < idx.length; i++) l[i] = labels[idx[i]];
        return Tensor.ofInts(l, l.length);
    }

    static Stream<Case> cases() {
        List<Case> out = new ArrayList<>();
        {
            Gen g = new Gen(11);
            Tensor x = Tensor.of(g.values(4 * 5, -1, 1), 4, 5);
            int[] y = g.labels(4, 3);
            Tensor w = g.param(3, 5), b = g.param(3);
            out.add(new Case("linear 2-D", List.of(w, b),
                    idx -> Functional.crossEntropyPerExample(Functional.linear(rows(x, idx), w, b), labels(y, idx)), 4));
        }
        {
            Gen g = new Gen(12);
            Tensor x = Tensor.of(g.values(3 * 4 * 5, -1, 1), 3, 4, 5);
            int[] y = g.labels(3, 3);
            Tensor w = g.param(3, 5), b = g.param(3);
            out.add(new Case("linear 3-D (sequence)", List.of(w, b),
                    idx -> Functional.crossEntropyPerExample(Functional.linear(rows(x, idx), w, b).mean(1, false), labels(y, idx)), 3));
        }
        {
            Gen g = new Gen(13);
            Tensor x = Tensor.of(g.values(3 * 2 * 7 * 7, -1, 1), 3, 2, 7, 7);
            int[] y = g.labels(3, 4);
            Tensor w = g.param(4, 2, 3, 3), b = g.param(4);
            out.add(new Case("conv2d stride 2 padding 1", List.of(w, b), idx -> {
                Tensor h = Functional.conv2d(rows(x, idx), w, b, 2, 1, 1).relu();
                return Functional.crossEntropyPerExample(Functional.adaptiveAvgPool2d(h, 1, 1).reshape(idx.length, 4), labels(y, idx));
            }, 3));
        }
        {
            // at least 64 channels each way: the batched filter gradient runs Winograd, the per-example one does not
            Gen g = new Gen(19);
            Tensor x = Tensor.of(g.values(3 * 64 * 5 * 5, -1, 1), 3, 64, 5, 5);
            int[] y = g.labels(3, 64);
            Tensor w = g.param(64, 64, 3, 3), b = g.param(64);
            out.add(new Case("conv2d 3x3 64 -> 64", List.of(w, b), idx -> {
                Tensor h = Functional.conv2d(rows(x, idx), w, b, 1, 1, 1).tanh();
                return Functional.crossEntropyPerExample(Functional.adaptiveAvgPool2d(h, 1, 1).reshape(idx.length, 64), labels(y, idx));
            }, 3));
        }
        {
            Gen g = new Gen(14);
            Tensor x = Tensor.of(g.values(3 * 2 * 6 * 6, -1, 1), 3, 2, 6, 6);
            int[] y = g.labels(3, 3);
            Tensor w = g.param(4, 2, 3, 3), gamma = g.param(4), beta = g.param(4), fc = g.param(3, 4);
            Tensor rm = Tensor.of(g.values(4, -0.2, 0.2), 4), rv = Tensor.of(g.values(4, 0.5, 1.5), 4);
            out.add(new Case("conv + batch-norm (eval)", List.of(w, gamma, beta, fc), idx -> {
                Tensor h = Functional.conv2d(rows(x, idx), w, null, 1, 1, 1);
                h = Functional.batchNorm(h, gamma, beta, rm, rv, false, 0.1f, 1e-5f).relu();
                Tensor f = Functional.adaptiveAvgPool2d(h, 1, 1).reshape(idx.length, 4);
                return Functional.crossEntropyPerExample(Functional.linear(f, fc, null), labels(y, idx));
            }, 3));
        }
        {
            Gen g = new Gen(15);
            Tensor x = Tensor.of(g.values(3 * 4 * 6, -1, 1), 3, 4, 6);
            int[] y = g.labels(3, 3);
            Tensor gamma = g.param(6), beta = g.param(6), w = g.param(3, 6);
            out.add(new Case("layer-norm", List.of(gamma, beta, w), idx -> {
                Tensor h = Functional.layerNorm(rows(x, idx), gamma, beta, 1e-5f);
                return Functional.crossEntropyPerExample(Functional.linear(h, w, null).mean(1, false), labels(y, idx));
            }, 3));
        }
        {
            Gen g = new Gen(16);
            Tensor x = Tensor.of(g.values(4 * 5, -1, 1), 4, 5);
            int[] y = g.labels(4, 3);
            Tensor w1 = g.param(6, 5), m = g.param(g.values(6, 0.5, 1.5), 6), w2 = g.param(3, 6);
            out.add(new Case("mask parameter [C]", List.of(w1, m, w2), idx -> {
                Tensor h = Functional.mask(Functional.linear(rows(x, idx), w1, null), m).gelu();
                return Functional.crossEntropyPerExample(Functional.linear(h, w2, null), labels(y, idx));
            }, 4));
        }
        {
            Gen g = new Gen(17);
            Tensor x = Tensor.of(g.values(5 * 8, -1, 1), 5, 8);
            int[] y = g.labels(5, 4);
            Tensor w1 = g.param(7, 8), b1 = g.param(7), w2 = g.param(6, 7), b2 = g.param(6), w3 = g.param(4, 6), b3 = g.param(4);
            out.add(new Case("MLP", List.of(w1, b1, w2, b2, w3, b3), idx -> {
                Tensor h = Functional.linear(rows(x, idx), w1, b1).gelu();
                h = Functional.linear(h, w2, b2).tanh();
                return Functional.crossEntropyPerExample(Functional.linear(h, w3, b3), labels(y, idx));
            }, 5));
        }
        {
            Gen g = new Gen(18);
            Tensor x = Tensor.of(g.values(3 * 1 * 8 * 8, -1, 1), 3, 1, 8, 8);
            int[] y = g.labels(3, 5);
            Tensor cw = g.param(4, 1, 3, 3), cb = g.param(4), gamma = g.param(4), beta = g.param(4);
            Tensor rm = Tensor.of(g.values(4, -0.2, 0.2), 4), rv = Tensor.of(g.values(4, 0.5, 1.5), 4);
            Tensor fw = g.param(5, 4 * 4 * 4), fb = g.param(5);
            out.add(new Case("small CNN conv-BN(eval)-ReLU-pool-linear", List.of(cw, cb, gamma, beta, fw, fb), idx -> {
                Tensor h = Functional.conv2d(rows(x, idx), cw, cb, 1, 1, 1);
                h = Functional.batchNorm(h, gamma, beta, rm, rv, false, 0.1f, 1e-5f).gelu();
                h = Functional.maxPool2d(h, 2, 2, 0).reshape(idx.length, 64);
                return Functional.crossEntropyPerExample(Functional.linear(h, fw, fb), labels(y, idx));
            }, 3));
        }
        {
            Gen g = new Gen(19);
            int d = 4, t = 5;
            Tensor x = Tensor.of(g.values(3 * t * d, -1, 1), 3, t, d);
            int[] y = g.labels(3, 3);
            Tensor lg = g.param(d), lb = g.param(d), wqkv = g.param(3 * d, d), bqkv = g.param(3 * d), wo = g.param(3, d),
                    bo = g.param(3);
            out.add(new Case("attention block (LN, linear qkv, softmax, linear)", List.of(lg, lb, wqkv, bqkv, wo, bo), idx -> {
                Tensor h = Functional.layerNorm(rows(x, idx), lg, lb, 1e-5f);
                Tensor qkv = Functional.linear(h, wqkv, bqkv);
                Tensor q = qkv.slice(2, 0, d), k = qkv.slice(2, d, 2 * d), v = qkv.slice(2, 2 * d, 3 * d);
                Tensor att = Functional.softmax(q.matmul(k.transpose(1, 2)).mul(0.5f), 2);
                Tensor o = Functional.linear(att.matmul(v), wo, bo);
                return Functional.crossEntropyPerExample(o.mean(1, false), labels(y, idx));
            }, 3));
        }
        return out.stream();
    }

    private static void zeroGrads(List<Tensor> ps) {
        for (Tensor p : ps) p.zeroGrad();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void perExampleGradientsEqualBatchOfOnePasses(Case c) {
        int b = c.batch();
        List<Tensor> ps = c.params();
        float[][] ref = batchOfOne(ps, c.terms(), b, 1f / b);

        zeroGrads(ps);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(ps, PerExample.Mode.GRADIENTS)) {
            pe = open;
            c.terms().apply(all(b)).mean().backward();
        }
        assertThat(pe.batchSize()).isEqualTo(b);
        for (int k = 0; k < ps.size(); k++) {
            Tensor p = ps.get(k);
            float[] got = pe.gradients(p).toFloatArray();
            assertThat(pe.gradients(p).shape()[0]).isEqualTo(b);
            assertClose(got, ref[k], RTOL, c + " param " + k + " per-example gradient");
            assertClose(sumOverExamples(got, b), p.grad().toFloatArray(), RTOL, c + " param " + k + " sum vs .grad");
            assertClose(pe.squaredNorms(p), norms(ref[k], b), RTOL, c + " param " + k + " norms from gradients");
        }

        // chunked to one example at a time: identical results
        zeroGrads(ps);
        try (PerExampleGradients chunked = PerExample.collect(ps, PerExample.Mode.GRADIENTS,
                PerExampleOptions.defaults().withMemoryBudget(1))) {
            c.terms().apply(all(b)).mean().backward();
            for (Tensor p : ps) {
                chunked.close();
                assertThat(chunked.gradients(p).toFloatArray()).as(c + " chunked").containsExactly(pe.gradients(p).toFloatArray());
            }
        }

        for (PerExampleOptions.NormPath path : PerExampleOptions.NormPath.values()) {
            for (long budget : new long[] {PerExampleOptions.DEFAULT_BUDGET, 1}) {
                zeroGrads(ps);
                PerExampleGradients n;
                try (PerExampleGradients open = PerExample.collect(ps, PerExample.Mode.NORMS,
                        PerExampleOptions.defaults().withNormPath(path).withMemoryBudget(budget))) {
                    n = open;
                    c.terms().apply(all(b)).mean().backward();
                }
                for (int k = 0; k < ps.size(); k++) {
                    assertClose(n.squaredNorms(ps.get(k)), norms(ref[k], b), RTOL, c + " " + path + " budget " + budget + " norms " + k);
                    assertClose(ps.get(k).grad().toFloatArray(), sumOverExamples(ref[k], b), RTOL, c + " .grad still accumulated");
                }
                assertThatThrownBy(() -> n.gradients(ps.get(0))).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("NORMS");
            }
        }
    }

    @Test
    void batchNormInTrainingModeTreatsBatchStatisticsAsConstants() {
        Gen g = new Gen(21);
        int b = 4;
        Tensor x = Tensor.of(g.values(b * 5, -1, 1), b, 5);
        int[] y = g.labels(b, 3);
        Tensor w1 = g.param(6, 5), gamma = g.param(g.values(6, 0.5, 1.5), 6), beta = g.param(6), w2 = g.param(3, 6);
        List<Tensor> ps = List.of(w1, gamma, beta, w2);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(ps, PerExample.Mode.GRADIENTS)) {
            pe = open;
            Tensor h = Functional.linear(x, w1, null);
            h = Functional.batchNorm(h, gamma, beta, null, null, true, 0.1f, 1e-5f).relu();
            Functional.crossEntropy(Functional.linear(h, w2, null), labels(y, all(b))).backward();
        }
        // upstream included: the per-example parts sum to the ordinary gradient
        for (Tensor p : ps) {
            assertClose(sumOverExamples(pe.gradients(p).toFloatArray(), b), p.grad().toFloatArray(), RTOL, "sum vs .grad");
        }
        // batch statistics of the forward pass (biased variance, as batch-norm normalizes with it)
        Tensor h0;
        try (Grad off = Grad.disabled()) {
            h0 = Functional.linear(x, w1, null);
        }
        Tensor mean = h0.mean(0, false);
        Tensor var = h0.sub(mean).square().mean(0, false);
        // frozen-statistics batch-of-one reference for gamma, beta and the downstream w2
        float[][] ref = batchOfOne(List.of(gamma, beta, w2), idx -> {
            Tensor h = Functional.linear(rows(x, idx), w1, null);
            h = Functional.batchNorm(h, gamma, beta, mean, var, false, 0.1f, 1e-5f).relu();
            return Functional.crossEntropyPerExample(Functional.linear(h, w2, null), labels(y, idx));
        }, b, 1f / b);
        assertClose(pe.gradients(gamma).toFloatArray(), ref[0], RTOL, "gamma");
        assertClose(pe.gradients(beta).toFloatArray(), ref[1], RTOL, "beta");
        assertClose(pe.gradients(w2).toFloatArray(), ref[2], RTOL, "downstream linear");
    }

    @Test
    void batchNormOnFeatureMapsGivesPerExampleAffineGradientsThatSumToTheBatchGradient() {
        // [b, c, h, w] input: each example's channel holds h·w values (the backend's one-pass kernel); the mean is
        // away from zero (CpuKernelsTest checks the kernel itself on means far from zero)
        Gen g = new Gen(23);
        int b = 5, c = 3, hw = 7;
        float[] xv = g.values(b * c * hw, -1, 1);
        for (int q = 0; q < xv.length; q++) xv[q] = 20f + xv[q];
        Tensor x = Tensor.of(xv, b, c, 1, hw);
        int[] y = g.labels(b, 2);
        Tensor gamma = g.param(g.values(c, 0.5, 1.5), c), beta = g.param(c), w2 = g.param(2, c * hw);
        List<Tensor> ps = List.of(gamma, beta, w2);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(ps, PerExample.Mode.GRADIENTS)) {
            pe = open;
            Tensor h = Functional.batchNorm(x, gamma, beta, null, null, true, 0.1f, 1e-5f).relu().reshape(b, c * hw);
            Functional.crossEntropy(Functional.linear(h, w2, null), labels(y, all(b))).backward();
        }
        for (Tensor p : ps) {
            assertClose(sumOverExamples(pe.gradients(p).toFloatArray(), b), p.grad().toFloatArray(), RTOL, "sum vs .grad");
        }
        // frozen batch statistics (over examples and positions, biased variance), batch-of-one reference
        Tensor mean = x.mean(0, false).mean(1, false).mean(1, false);
        Tensor var = x.sub(mean.reshape(1, c, 1, 1)).square().mean(0, false).mean(1, false).mean(1, false);
        float[][] ref = batchOfOne(ps, idx -> {
            Tensor h = Functional.batchNorm(rows(x, idx), gamma, beta, mean, var, false, 0.1f, 1e-5f).relu()
                    .reshape(idx.length, c * hw);
            return Functional.crossEntropyPerExample(Functional.linear(h, w2, null), labels(y, idx));
        }, b, 1f / b);
        assertClose(pe.gradients(gamma).toFloatArray(), ref[0], RTOL, "gamma");
        assertClose(pe.gradients(beta).toFloatArray(), ref[1], RTOL, "beta");
        assertClose(pe.gradients(w2).toFloatArray(), ref[2], RTOL, "downstream linear");
    }

    @Test
    void parameterWithoutRuleNeedsRecomputeClosureAndThenUsesBatchOfOnePasses() {
        Gen g = new Gen(22);
        int b = 3;
        Tensor x = Tensor.of(g.values(b * 4, -1, 1), b, 4);
        int[] y = g.labels(b, 3);
        Tensor scale = g.param(4), w = g.param(3, 4);
        Function<int[], Tensor> terms = idx -> Functional.crossEntropyPerExample(
                Functional.linear(rows(x, idx).mul(scale.exp()), w, null), labels(y, idx));
        // the parameter reaches the batch through exp (no rule: per-example information is gone
        // once the batch-free gradient is summed), as attention's learned temperature does
        assertThatThrownBy(() -> {
            try (PerExampleGradients pe = PerExample.collect(List.of(scale, w), PerExample.Mode.NORMS)) {
                terms.apply(all(b)).mean().backward();
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("'exp'").hasMessageContaining("withRecompute");

        float[][] ref = batchOfOne(List.of(scale, w), terms, b, 1f / b);
        for (PerExample.Mode mode : PerExample.Mode.values()) {
            scale.zeroGrad();
            w.zeroGrad();
            PerExampleGradients pe;
            try (PerExampleGradients open = PerExample.collect(List.of(scale, w), mode,
                    PerExampleOptions.defaults().withRecompute(terms, PerExampleOptions.Reduction.MEAN))) {
                pe = open;
                terms.apply(all(b)).mean().backward();
            }
            assertClose(pe.squaredNorms(scale), norms(ref[0], b), RTOL, mode + " fallback norms");
            assertClose(pe.squaredNorms(w), norms(ref[1], b), RTOL, mode + " rule norms");
            if (mode == PerExample.Mode.GRADIENTS) assertClose(pe.gradients(scale).toFloatArray(), ref[0], RTOL, "fallback grads");
            // the fallback passes leave the ordinary gradient as the batch backward left it
            assertClose(scale.grad().toFloatArray(), sumOverExamples(ref[0], b), RTOL, mode + " .grad of fallback parameter");
            assertClose(w.grad().toFloatArray(), sumOverExamples(ref[1], b), RTOL, mode + " .grad of rule parameter");
        }
    }

    @Test
    void sharedWeightGetsTheSumOfBothUses() {
        Gen g = new Gen(23);
        int b = 4;
        Tensor x = Tensor.of(g.values(b * 5, -1, 1), b, 5);
        int[] y = g.labels(b, 5);
        Tensor w = g.param(5, 5), bias = g.param(5);
        Function<int[], Tensor> terms = idx -> {
            Tensor h = Functional.linear(rows(x, idx), w, bias).tanh();
            return Functional.crossEntropyPerExample(Functional.linear(h, w, null), labels(y, idx));
        };
        float[][] ref = batchOfOne(List.of(w, bias), terms, b, 1f / b);
        for (PerExample.Mode mode : PerExample.Mode.values()) {
            PerExampleGradients pe;
            try (PerExampleGradients open = PerExample.collect(List.of(w, bias), mode)) {
                pe = open;
                terms.apply(all(b)).mean().backward();
            }
            assertClose(pe.squaredNorms(w), norms(ref[0], b), RTOL, mode + " shared weight norms");
            assertClose(pe.squaredNorms(bias), norms(ref[1], b), RTOL, mode + " bias norms");
        }
    }

    @Test
    void perExampleMaskParameterHasOneNonZeroRowPerExample() {
        Gen g = new Gen(24);
        int b = 3;
        Tensor x = Tensor.of(g.values(b * 2 * 3 * 3, -1, 1), b, 2, 3, 3);
        int[] y = g.labels(b, 2);
        Tensor m = g.param(g.values(b * 2, 0.5, 1.5), b, 2);
        Function<int[], Tensor> terms = idx -> Functional.crossEntropyPerExample(
                Functional.mask(rows(x, idx), rows(m, idx)).mean(3, false).mean(2, false), labels(y, idx));
        float[][] ref = batchOfOne(List.of(m), terms, b, 1f / b);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(List.of(m), PerExample.Mode.GRADIENTS)) {
            pe = open;
            Functional.crossEntropy(Functional.mask(x, m).mean(3, false).mean(2, false), labels(y, all(b))).backward();
        }
        assertThat(pe.gradients(m).shape()).containsExactly(b, b, 2);
        assertClose(pe.gradients(m).toFloatArray(), ref[0], RTOL, "[B, C] mask per-example gradients");
        try (PerExampleGradients n = PerExample.collect(List.of(m), PerExample.Mode.NORMS)) {
            Functional.crossEntropy(Functional.mask(x, m).mean(3, false).mean(2, false), labels(y, all(b))).backward();
            n.close();
            assertClose(n.squaredNorms(m), norms(ref[0], b), RTOL, "[B, C] mask norms");
        }
    }

    @Test
    void groupsAggregateSquaredNormsByListAndByNamePattern() {
        Gen g = new Gen(25);
        int b = 3;
        Tensor x = Tensor.of(g.values(b * 4, -1, 1), b, 4);
        int[] y = g.labels(b, 3);
        Tensor w1 = g.param(5, 4).setName("layer1.weight"), b1 = g.param(5).setName("layer1.bias");
        Tensor w2 = g.param(3, 5).setName("layer2.weight");
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(PerExample.Mode.NORMS)) {
            pe = open;
            Tensor h = Functional.linear(x, w1, b1).relu();
            Functional.crossEntropy(Functional.linear(h, w2, null), labels(y, all(b))).backward();
        }
        assertThat(pe.parameters()).containsExactlyInAnyOrder(w1, b1, w2);
        float[] n1 = pe.squaredNorms(w1), nb = pe.squaredNorms(b1), n2 = pe.squaredNorms(w2);
        float[] layer1 = new float[b], total = new float[b];
        for (int i = 0; i < b; i++) {
            layer1[i] = n1[i] + nb[i];
            total[i] = layer1[i] + n2[i];
        }
        Map<String, float[]> byName = pe.groupSquaredNormsByName(Map.of("first", "layer1.*"));
        assertClose(byName.get("first"), layer1, 1e-6, "glob group");
        assertClose(pe.groupSquaredNorms(Map.of("second", List.of(w2))).get("second"), n2, 1e-6, "list group");
        assertClose(pe.totalSquaredNorms(), total, 1e-6, "total");
        assertThatThrownBy(() -> pe.groupSquaredNormsByName(Map.of("none", "layer9.*")))
                .hasMessageContaining("layer9.*").hasMessageContaining("layer1.weight");
    }

    @Test
    void sumReductionGivesUnscaledGradientsThroughTheConvenienceEntryPoints() {
        Gen g = new Gen(26);
        int b = 4;
        Tensor x = Tensor.of(g.values(b * 3, -1, 1), b, 3);
        int[] y = g.labels(b, 2);
        Tensor w = g.param(2, 3);
        Function<int[], Tensor> terms = idx -> Functional.crossEntropyPerExample(Functional.linear(rows(x, idx), w, null),
                labels(y, idx));
        float[][] ref = batchOfOne(List.of(w), terms, b, 1f);
        PerExampleGradients viaSupplier = PerExample.squaredNorms(List.of(w), () -> terms.apply(all(b)));
        assertClose(viaSupplier.squaredNorms(w), norms(ref[0], b), RTOL, "supplier norms");
        PerExampleGradients viaClosure = PerExample.gradients(List.of(w), terms, b);
        assertClose(viaClosure.gradients(w).toFloatArray(), ref[0], RTOL, "closure gradients");
    }

    @Test
    void convFilterGradientIsTheSameWithAndWithoutACollection() {
        Gen g = new Gen(29);
        Tensor x = Tensor.of(g.values(3 * 2 * 6 * 6, -1, 1), 3, 2, 6, 6);
        Tensor w = g.param(4, 2, 3, 3);
        Function<int[], Tensor> loss = idx -> Functional.conv2d(x, w, null, 1, 1, 1).tanh().sum();
        loss.apply(null).backward();
        float[] plain = w.grad().toFloatArray();
        for (PerExample.Mode mode : PerExample.Mode.values()) {
            for (long budget : new long[] {PerExampleOptions.DEFAULT_BUDGET, 1}) {
                w.zeroGrad();
                Tensor out = Functional.conv2d(x, w, null, 1, 1, 1).tanh().sum();
                try (PerExampleGradients pe = PerExample.collect(List.of(w), mode,
                        PerExampleOptions.defaults().withMemoryBudget(budget).withNormPath(PerExampleOptions.NormPath.MATERIALIZE))) {
                    out.backward(Tensor.scalar(1f).reshape(out.shape()), true);
                }
                assertClose(w.grad().toFloatArray(), plain, 1e-4, mode + " budget " + budget + " .grad");
                // a second pass over the retained graph, outside any collection, computes the filter gradient itself
                out.backward(Tensor.scalar(1f).reshape(out.shape()), false);
                float[] twice = plain.clone();
                for (int k = 0; k < twice.length; k++) twice[k] *= 2;
                assertClose(w.grad().toFloatArray(), twice, 1e-4, mode + " second backward");
            }
        }
    }

    @Test
    void normsModeRejectsASecondBackwardPass() {
        Gen g = new Gen(27);
        Tensor x = Tensor.of(g.values(2 * 3, -1, 1), 2, 3);
        Tensor w = g.param(2, 3);
        PerExampleGradients pe = PerExample.collect(List.of(w), PerExample.Mode.NORMS);
        Functional.linear(x, w, null).sum().backward();
        Functional.linear(x, w, null).sum().backward();
        assertThatThrownBy(pe::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("one backward pass");
        assertThat(w.grad()).isNotNull();
    }

    @Test
    void inconsistentExampleAxisIsReported() {
        Gen g = new Gen(28);
        Tensor x = Tensor.of(g.values(2 * 3, -1, 1), 2, 3);
        Tensor w = g.param(2, 3), v = g.param(2, 2);
        PerExampleGradients pe = PerExample.collect(List.of(w, v), PerExample.Mode.GRADIENTS);
        Tensor h = Functional.linear(x, w, null); // [2, 2]
        Functional.linear(h.reshape(1, 4).reshape(4, 1).expand(4, 2), v, null).sum().backward();
        assertThatThrownBy(pe::close).hasMessageContaining("example axis");
    }

    @Test
    void collectionsClosedOutOfOrderStopCollectingAtOnce() {
        Tensor v = Tensor.randn(3, 2, 3).requiresGrad(true);
        Tensor x = Tensor.ones(2, 3);
        PerExampleGradients p1 = PerExample.collect(List.of(v), PerExample.Mode.GRADIENTS);
        PerExampleGradients p2 = PerExample.collect(List.of(v), PerExample.Mode.GRADIENTS);
        Functional.linear(x, v, null).sum().backward();
        p1.close();
        float[] first = p1.gradients(v).toFloatArray();
        assertThat(first).containsOnly(1f);
        Functional.linear(x.mul(10f), v, null).sum().backward(); // p2 still collects, p1 no longer does
        assertThat(p1.gradients(v).toFloatArray()).containsExactly(first);
        p2.close();
        assertThat(p2.gradients(v).toFloatArray()).containsOnly(11f);
        for (int i = 0; i < 3; i++) Functional.linear(x.mul(10f), v, null).sum().backward(); // no collection open
        assertThat(p1.gradients(v).toFloatArray()).containsExactly(first);
        assertThat(p2.gradients(v).toFloatArray()).containsOnly(11f);
        assertThat(Autograd.currentListener()).isNull();
    }

    @Test
    void aFailureReadInsideTheBlockIsNotThrownAgainByClose() {
        Tensor w = Tensor.randn(1, 3, 2).requiresGrad(true);
        Throwable thrown = null;
        try (PerExampleGradients pe = PerExample.collect(List.of(w), PerExample.Mode.GRADIENTS)) {
            Tensor.randn(2, 4, 3).matmul(w).sum().backward();
            pe.squaredNorms(w);
        } catch (RuntimeException e) {
            thrown = e;
        }
        // the real cause (no rule for the op), not a request for the batch size, and no self-suppression
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("no rule covers")
                .hasMessageContaining("matmul");
        assertThat(thrown.getSuppressed()).isEmpty();
        assertThat(Autograd.currentListener()).isNull();
    }

    @Test
    void aCollectionInWhichNoBackwardRanClosesButHasNoResultsToRead() {
        Tensor w = Tensor.randn(1, 2, 3).requiresGrad(true);
        PerExampleGradients pe = PerExample.collect(List.of(w), PerExample.Mode.GRADIENTS);
        pe.close(); // allowed: e.g. the code inside failed before its backward pass
        org.assertj.core.api.Assertions.assertThatThrownBy(pe::batchSize).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no backward pass ran");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pe.gradients(w)).hasMessageContaining("no backward pass ran");
        org.assertj.core.api.Assertions.assertThatThrownBy(pe::totalSquaredNorms).hasMessageContaining("no backward pass ran");
        // a backward pass after close() is not collected either
        Tensor x = Tensor.randn(2, 4, 3);
        x.matmul(w.transpose(0, 1)).sum().backward();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pe.squaredNorms(w)).hasMessageContaining("no backward pass ran");
    }
}
