package dev.engram.memorization.gradients;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.train.LabeledBatch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The accounting of one pass, checked against gradients computed independently, tensor by tensor. */
class GradientAccumulatorTest {
    static final int N = 24, B = 8, IN = 12, CLASSES = 5;

    final Random r = new Random(7);
    final float[][] x = new float[N][IN];
    final int[] y = new int[N];
    final boolean[] noisy = new boolean[N];

    GradientAccumulatorTest() {
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < IN; k++) x[i][k] = (float) r.nextGaussian();
            y[i] = r.nextInt(CLASSES);
            noisy[i] = i % 4 == 1; // 6 noisy examples, spread over the batches
        }
    }

    LabeledBatch batch(int... ids) {
        float[] in = new float[ids.length * IN];
        int[] lab = new int[ids.length];
        for (int k = 0; k < ids.length; k++) {
            System.arraycopy(x[ids[k]], 0, in, k * IN, IN);
            lab[k] = y[ids[k]];
        }
        return new LabeledBatch(Tensor.of(in, ids.length, IN), Tensor.ofInts(lab, ids.length), ids);
    }

    int[] ids(int b) {
        int[] ids = new int[B];
        for (int k = 0; k < B; k++) ids[k] = (b * B + k * 5) % N; // a permutation over the three batches
        return ids;
    }

    /** Gradient of (1/B) Σ_{i in batch, selected} CE_i for parameter {@code name}, by its own forward/backward. */
    float[] gradient(Mlp model, String name, int[] ids, Boolean noisyPart) {
        try (TensorScope s = Tensors.scope()) {
            LabeledBatch b = batch(ids);
            model.zeroGrad();
            Tensor ce = Functional.crossEntropyPerExample(model.forward(b.inputs()), b.labels());
            float[] m = new float[ids.length];
            for (int k = 0; k < ids.length; k++) m[k] = noisyPart == null || noisy[ids[k]] == noisyPart ? 1f : 0f;
            ce.mul(Tensor.of(m, ids.length)).sum().mul(1f / ids.length).backward();
            float[] g = model.namedParameters().get(name).grad().toFloatArray();
            model.zeroGrad();
            return g;
        }
    }

    @Test
    void cleanPlusNoisyEqualsTheTotalPerTensorAndPerExampleNormsMatchBatchOfOne() {
        Mlp model = new Mlp(3, IN, 10, 7, CLASSES);
        model.train(true);
        GradientAccumulator acc = new GradientAccumulator(model, noisy);
        assertThat(acc.groupNames()).containsExactly("fc1", "fc2", "fc3");
        for (int b = 0; b < 3; b++) {
            try (TensorScope s = Tensors.scope()) {
                LabeledBatch lb = batch(ids(b));
                model.zeroGrad();
                Tensor logits = model.forward(lb.inputs());
                acc.exampleNormPass(lb);
                acc.partialPasses(logits, lb);
                assertThat(model.namedParameters().values()).allMatch(p -> p.grad() == null);
                acc.beginTotalPass();
                Functional.crossEntropy(logits, lb.labels()).backward();
                acc.endTotalPass(lb);
                model.zeroGrad();
            }
        }
        assertThat(acc.batches()).isEqualTo(3);
        for (String name : model.namedParameters().keySet()) {
            float[][] sums = acc.sums(name);
            int n = sums[0].length;
            double[] clean = new double[n], noisyG = new double[n], total = new double[n];
            for (int b = 0; b < 3; b++) {
                float[] c = gradient(model, name, ids(b), false), nz = gradient(model, name, ids(b), true);
                float[] t = gradient(model, name, ids(b), null);
                for (int k = 0; k < n; k++) {
                    clean[k] += c[k];
                    noisyG[k] += nz[k];
                    total[k] += t[k];
                }
            }
            for (int k = 0; k < n; k++) {
                assertThat((double) sums[0][k]).as("%s clean[%d]", name, k).isCloseTo(clean[k], within(1e-5));
                assertThat((double) sums[1][k]).as("%s noisy[%d]", name, k).isCloseTo(noisyG[k], within(1e-5));
                assertThat((double) sums[2][k]).as("%s total[%d]", name, k).isCloseTo(total[k], within(1e-5));
                assertThat((double) sums[0][k] + sums[1][k]).as("%s clean+noisy[%d]", name, k).isCloseTo(sums[2][k], within(1e-5));
            }
        }

        EpochAccount a = acc.finish(1, EpochAccount.DURING_TRAINING);
        assertThat(a.additivityError()).isLessThan(1e-5);
        // per-example norms of the total pass against batch-of-one gradients of CE_i
        for (int i : new int[] {0, 1, 5, 13, 22}) {
            double all = 0;
            double[] perGroup = new double[3];
            for (Map.Entry<String, Tensor> p : model.namedParameters().entrySet()) {
                float[] g = gradient(model, p.getKey(), new int[] {i}, null);
                double sq = 0;
                for (float v : g) sq += (double) v * v;
                all += sq;
                perGroup[Integer.parseInt(p.getKey().substring(0, 1)) / 2] += sq;
            }
            assertThat((double) a.allNorms()[i]).as("example %d", i).isCloseTo(Math.sqrt(all), within(1e-4 * Math.sqrt(all) + 1e-6));
            for (int g = 0; g < 3; g++) {
                assertThat((double) a.exampleNorms()[g][i]).isCloseTo(Math.sqrt(perGroup[g]), within(1e-4 * Math.sqrt(perGroup[g]) + 1e-6));
            }
        }
        // layer score and cosine from the definitions
        for (int g = 0; g < 3; g++) {
            String w = (2 * g + 1) + ".weight", bias = (2 * g + 1) + ".bias";
            double score = 0, cos = 0;
            for (String p : List.of(w, bias)) {
                float[][] s = sumsOf(model, p);
                score += norm(s[0]) / Math.sqrt(s[0].length);
                cos += dot(s[0], s[1]) / (norm(s[0]) * norm(s[1])) / 2;
            }
            assertThat(a.cleanNorm()[g]).isCloseTo(score, within(1e-4 * score));
            assertThat(a.cosine()[g]).isCloseTo(cos, within(1e-4));
        }
        // finish reset the sums
        assertThat(acc.sums("1.weight")[0]).containsOnly(0f);
        assertThat(acc.batches()).isZero();
    }

    /** Clean and noisy sums recomputed independently over the three batches. */
    float[][] sumsOf(Mlp model, String name) {
        float[][] out = null;
        for (int b = 0; b < 3; b++) {
            float[] c = gradient(model, name, ids(b), false), n = gradient(model, name, ids(b), true);
            if (out == null) out = new float[][] {new float[c.length], new float[c.length]};
            for (int k = 0; k < c.length; k++) {
                out[0][k] += c[k];
                out[1][k] += n[k];
            }
        }
        return out;
    }

    static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += (double) a[k] * b[k];
        return s;
    }

    @Test
    void rejectsIdsOutsideTheNoiseMaskAndModelsWithoutGroups() {
        Mlp model = new Mlp(3, IN, 4, CLASSES);
        GradientAccumulator acc = new GradientAccumulator(model, new boolean[3]);
        try (TensorScope s = Tensors.scope()) {
            LabeledBatch lb = batch(0, 5);
            assertThatThrownBy(() -> acc.partialPasses(model.forward(lb.inputs()), lb))
                    .hasMessageContaining("example id 5 outside the noise mask of 3 examples");
        }
        assertThatThrownBy(() -> new GradientAccumulator(new dev.engram.nn.Sequential(), noisy))
                .hasMessageContaining("layer groups");
    }

    /** Squared norm of the gradient of CE of one example (batch of one) over all parameters, model in eval mode. */
    static double evalModeSquaredNorm(dev.engram.nn.Module model, dev.engram.memorization.data.ExampleSet d, int row) {
        model.eval();
        try (TensorScope s = Tensors.scope()) {
            model.zeroGrad();
            Functional.crossEntropy(model.forward(d.images(row, row + 1)), d.labelTensor(row, row + 1)).backward();
            double sq = 0;
            for (Tensor p : model.namedParameters().values()) {
                if (p.grad() == null) continue;
                for (float v : p.grad().toFloatArray()) sq += (double) v * v;
            }
            model.zeroGrad();
            return sq;
        } finally {
            model.train(true);
        }
    }

    @Test
    void withBatchNormTheDefaultNormsAreTrueEvalModePerExampleGradientsAndTheTrainModeOptionDiffers() {
        dev.engram.memorization.data.ExampleSet d = dev.engram.memorization.data.SyntheticData.clusters(16, 16, 4, 0.8, 0.1, 7);
        dev.engram.nn.models.ResNet9 model = new dev.engram.nn.models.ResNet9(1, 4, 0.25, 3);
        boolean[] mask = new boolean[d.size()];
        for (int i = 0; i < mask.length; i += 4) mask[i] = true;
        int[] rows = new int[8];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        float[][] norms = new float[2][];
        double[] truth = new double[rows.length];
        GradientAccumulator.ExampleNorms[] modes = GradientAccumulator.ExampleNorms.values();
        for (int m = 0; m < 2; m++) {
            model.train(true);
            GradientAccumulator acc = new GradientAccumulator(model, mask, modes[m]);
            try (TensorScope s = Tensors.scope(); dev.engram.nn.BatchContext c = dev.engram.nn.BatchContext.of(d.ids(0, 8))) {
                LabeledBatch lb = new LabeledBatch(d.images(0, 8), d.labelTensor(0, 8), d.ids(0, 8));
                model.zeroGrad();
                Tensor logits = model.forward(lb.inputs());
                acc.exampleNormPass(lb);
                assertThat(model.isTraining()).isTrue();
                acc.partialPasses(logits, lb);
                acc.beginTotalPass();
                Functional.crossEntropy(logits, lb.labels()).backward();
                acc.endTotalPass(lb);
                model.zeroGrad();
            }
            EpochAccount a = acc.finish(1, EpochAccount.DURING_TRAINING);
            assertThat(a.exampleNormMode()).isEqualTo(modes[m].name());
            norms[m] = a.allNorms();
            if (m == 0) { // running statistics as they were for the eval-mode pass (the next train forward moves them)
                for (int i : rows) truth[i] = Math.sqrt(evalModeSquaredNorm(model, d, i));
            }
        }
        assertThat(modes[0]).isEqualTo(GradientAccumulator.ExampleNorms.EVAL);
        double maxRelDiff = 0;
        for (int i : rows) {
            assertThat((double) norms[0][d.ids()[i]]).as("eval-mode norm of example %d", i)
                    .isCloseTo(truth[i], within(1e-3 * truth[i] + 1e-6));
            maxRelDiff = Math.max(maxRelDiff, Math.abs(norms[1][d.ids()[i]] - truth[i]) / truth[i]);
        }
        assertThat(maxRelDiff).as("train-mode, batch-coupled norms differ from the eval-mode ones").isGreaterThan(0.05);
    }
}
