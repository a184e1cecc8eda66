package dev.engram.nn;

import dev.engram.engine.Functional;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.PerExampleOptions;
import dev.engram.engine.Tensor;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.models.ResNet9;
import dev.engram.nn.models.SmallCnn;
import dev.engram.nn.models.VisionTransformer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-example gradients of the library's models (in evaluation mode: batch-norm with running
 * statistics, no dropout) against batch-of-one backward passes, without changes to model code.
 * Parameters that no rule covers (ViT position embedding, class token, attention temperature)
 * go through the batch-of-one fallback.
 */
class PerExampleModelTest {
    private static final double RTOL = 5e-3;

    private static Tensor rows(Tensor x, int[] idx) {
        return x.indexSelect(Tensor.ofInts(idx, idx.length));
    }

    private static Tensor labels(int[] y, int[] idx) {
        int[] l = new int[idx.length];
        for (int i = 0; i < idx.length; i++) l[i] = y[idx[i]];
        return Tensor.ofInts(l, l.length);
    }

    private static void check(String name, Module model, Tensor x, int[] y) {
        model.eval();
        int b = y.length;
        List<Tensor> params = new ArrayList<>(model.parameters());
        Function<int[], Tensor> terms = idx -> Functional.crossEntropyPerExample(model.forward(rows(x, idx)), labels(y, idx));
        // reference: one backward pass per example of l_i / B
        float[][] ref = new float[params.size()][];
        for (int k = 0; k < params.size(); k++) ref[k] = new float[(int) (b * params.get(k).numel())];
        for (int i = 0; i < b; i++) {
            for (Tensor p : params) p.zeroGrad();
            terms.apply(new int[] {i}).sum().mul(1f / b).backward();
            for (int k = 0; k < params.size(); k++) {
                Tensor g = params.get(k).grad();
                int n = (int) params.get(k).numel();
                if (g != null) System.arraycopy(g.toFloatArray(), 0, ref[k], i * n, n);
            }
        }
        int[] all = new int[b];
        for (int i = 0; i < b; i++) all[i] = i;
        PerExampleOptions opts = PerExampleOptions.defaults().withRecompute(terms, PerExampleOptions.Reduction.MEAN);
        for (PerExample.Mode mode : PerExample.Mode.values()) {
            for (Tensor p : params) p.zeroGrad();
            PerExampleGradients pe;
            try (PerExampleGradients open = PerExample.collect(params, mode, opts)) {
                pe = open;
                Functional.crossEntropy(model.forward(x), labels(y, all)).backward();
            }
            for (int k = 0; k < params.size(); k++) {
                Tensor p = params.get(k);
                String what = name + " " + mode + " '" + p.name() + "'";
                float[] n2 = new float[b];
                int n = (int) p.numel();
                float[] sum = new float[n];
                for (int i = 0; i < b; i++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += (double) ref[k][i * n + j] * ref[k][i * n + j];
                        sum[j] += ref[k][i * n + j];
                    }
                    n2[i] = (float) s;
                }
                close(pe.squaredNorms(p), n2, what + " norms");
                if (p.grad() != null) close(p.grad().toFloatArray(), sum, what + " .grad");
                if (mode == PerExample.Mode.GRADIENTS) close(pe.gradients(p).toFloatArray(), ref[k], what + " gradients");
            }
            float[] total = pe.totalSquaredNorms();
            close(pe.groupSquaredNormsByName(java.util.Map.of("all", "*")).get("all"), total, name + " glob group of all");
            if (model instanceof dev.engram.nn.models.HasLayerGroups lg) {
                java.util.Map<String, float[]> groups = pe.groupSquaredNormsByNames(lg.layerGroups());
                assertThat(groups.keySet()).containsExactlyElementsOf(lg.layerGroups().keySet());
                for (float[] v : groups.values()) {
                    for (int i = 0; i < b; i++) assertThat(v[i]).isBetween(0f, total[i] * 1.0001f + 1e-12f);
                }
            }
        }
    }

    private static void close(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int j = 0; j < actual.length; j++) {
            double err = Math.abs(actual[j] - expected[j]);
            if (err > 1e-6 + RTOL * 1e-2 * scale + RTOL * Math.abs(expected[j])) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %.7g, expected %.7g (max %.4g)", what, j,
                        actual[j], expected[j], scale));
            }
        }
    }

    private static int[] labelsFor(int b, int classes) {
        int[] y = new int[b];
        for (int i = 0; i < b; i++) y[i] = (i * 3 + 1) % classes;
        return y;
    }

    @Test
    void mlp() {
        check("mlp", new Mlp(1, 12, 16, 8, 4), Tensor.randn(2, 3, 12), labelsFor(3, 4));
    }

    @Test
    void smallCnn() {
        check("small cnn", new SmallCnn(1, 8, 5, 3), Tensor.randn(4, 3, 1, 8, 8), labelsFor(3, 5));
    }

    @Test
    void resNet9InEvalMode() {
        check("resnet9", new ResNet9(3, 10, 0.125, 5), Tensor.randn(6, 2, 3, 16, 16), labelsFor(2, 10));
    }

    @Test
    void tinyVisionTransformerWithFallbackParameters() {
        VisionTransformer vit = new VisionTransformer(VisionTransformer.Config.tiny(3, 8, 4, 3), 7);
        check("vit", vit, Tensor.randn(8, 2, 3, 8, 8), labelsFor(2, 3));
    }
}
