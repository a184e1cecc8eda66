package dev.engram.memorization.localize;

import dev.engram.engine.Tensor;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every localization method on a hand-built MLP (4 inputs, 6 hidden units, 3 classes) whose memorizing unit is known
 * by construction: hidden unit {@link #MEMORIZING} fires only for the target (input 0) and carries it to its
 * "memorized" label 2; the other units are general features of the other inputs (some also weakly active on the
 * target, pushing it to other classes) and one constant unit.
 */
class LocalizationMethodsTest {
    static final int MEMORIZING = 3;

    /** The model; row 0 of {@link #data()} is the target. */
    static Mlp model() {
        Mlp m = new Mlp(1, 4, 6, 3);
        float[] w1 = {
                0.0f, 1, 0, 0, // h0 = relu(x1)
                0.5f, 0, 1, 0, // h1 = relu(x2 + 0.5 x0)
                0.3f, 0, 0, 1, // h2 = relu(x3 + 0.3 x0)
                4.0f, 0, 0, 0, // h3 = relu(4 x0): the memorizing unit
                0.2f, 1, 0, 0, // h4 = relu(x1 + 0.2 x0)
                0.0f, 0, 0, 0, // h5 = relu(0.5): constant
        };
        float[] b1 = {0, 0, 0, 0, 0, 0.5f};
        float[] w2 = {
                2, 0, 0, 0, 2, 0,   // class 0 <- h0, h4
                0, 2, 2, 0, 0, 0,   // class 1 <- h1, h2
                0, 0, 0, 1, 0, 0.3f // class 2 <- h3 (decisive for the target), h5 (weak)
        };
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("1.weight", Tensor.of(w1, 6, 4));
        sd.put("1.bias", Tensor.of(b1, 6));
        sd.put("3.weight", Tensor.of(w2, 3, 6));
        sd.put("3.bias", Tensor.of(new float[3], 3));
        m.loadStateDict(sd, true);
        m.eval();
        return m;
    }

    /** Row 0: the target (input 0, label 2); 15 others on inputs 1–3 with their classes 0, 1, 1. */
    static ExampleSet data() {
        int n = 16;
        float[] x = new float[n * 4];
        int[] labels = new int[n], ids = new int[n];
        boolean[] noisy = new boolean[n];
        x[0] = 1;
        labels[0] = 2;
        noisy[0] = true;
        for (int i = 1; i < n; i++) {
            int input = 1 + (i - 1) % 3;
            x[i * 4 + input] = 0.7f + 0.1f * ((i - 1) / 3);
            labels[i] = input == 1 ? 0 : 1;
        }
        for (int i = 0; i < n; i++) ids[i] = 100 + i;
        return new ExampleSet(x, labels, ids, noisy, 1, 2, 2, 3);
    }

    static MaskedModel masked() {
        return new MaskedModel(model(), null, data());
    }

    static List<LocalizationMethod> methods() {
        LearnedMask.Settings learned = new LearnedMask.Settings(40, 0.2, 0.01, 8, 4, 7);
        return List.of(
                new GreedyFlipping(NeuronFlipping.Options.defaults().toBuilder().referenceSize(8).maxUnits(6)
                        .remainingEvalSize(0).build()),
                new FirstOrder(4), new ZeroOut(5), new ActivationOutlier(10, 4, 3), new IntegratedGradients(8, 6),
                new Slimming(learned), new HardConcrete(learned));
    }

    static int argmax(double[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    @Test
    void theModelIsBuiltAsDescribed() {
        MaskedModel m = masked();
        assertEquals(6, m.units());
        float[][] logits = m.evaluate(new int[] {0, 1, 2, 3}, null, null).logits();
        assertEquals(2, MaskedModel.argmax(logits[0]));
        assertEquals(0, MaskedModel.argmax(logits[1]));
        assertEquals(1, MaskedModel.argmax(logits[2]));
        assertEquals(1, MaskedModel.argmax(logits[3]));
        float[] drop = m.ones();
        drop[MEMORIZING] = 0;
        assertTrue(MaskedModel.argmax(m.evaluate(new int[] {0}, new float[][] {drop}, null).logits()[0]) != 2,
                "zeroing the memorizing unit flips the target");
    }

    @Test
    void everyMethodRanksTheMemorizingUnitFirst() {
        MaskedModel m = masked();
        for (LocalizationMethod method : methods()) {
            double[][] s = method.scores(m, new int[] {0});
            assertEquals(1, s.length);
            assertEquals(6, s[0].length);
            assertEquals(MEMORIZING, argmax(s[0]), method.name() + " scores " + java.util.Arrays.toString(s[0]));
        }
    }

    @Test
    void randomScoresDependOnlyOnTheTargetAndSeed() {
        MaskedModel m = masked();
        double[][] both = new RandomRanking(5).scores(m, new int[] {0, 4});
        assertArrayEquals(both[1], new RandomRanking(5).scores(m, new int[] {4})[0]);
        assertTrue(!java.util.Arrays.equals(both[0], both[1]));
        assertTrue(!java.util.Arrays.equals(both[0], new RandomRanking(6).scores(m, new int[] {0})[0]));
    }

    @Test
    void batchedAndOneTargetResultsAreEqual() {
        MaskedModel m = masked();
        int[] targets = {0, 5, 2};
        for (LocalizationMethod method : methods()) {
            double[][] batched = method.scores(m, targets);
            for (int t = 0; t < targets.length; t++) {
                double[] alone = method.scores(m, new int[] {targets[t]})[0];
                for (int u = 0; u < alone.length; u++) {
                    assertEquals(alone[u], batched[t][u], 1e-4 * (1 + Math.abs(alone[u])),
                            method.name() + " target " + targets[t] + " unit " + u);
                }
            }
        }
    }

    @Test
    void zeroOutIsTheExactLossChangeAndIntegratedGradientsAreComplete() {
        MaskedModel m = masked();
        double[] scratch = new double[3];
        double base = MaskedModel.crossEntropy(m.evaluate(new int[] {0}, null, null).logits()[0], 2, scratch);
        double[] z = new ZeroOut(64).scores(m, new int[] {0})[0];
        for (int u = 0; u < 6; u++) {
            float[] mask = m.ones();
            mask[u] = 0;
            double l = MaskedModel.crossEntropy(m.evaluate(new int[] {0}, new float[][] {mask}, null).logits()[0], 2, scratch);
            assertEquals(l - base, z[u], 1e-5);
        }
        double zeros = MaskedModel.crossEntropy(m.evaluate(new int[] {0}, new float[][] {new float[6]}, null).logits()[0], 2, scratch);
        double sum = 0;
        for (double v : new IntegratedGradients(200, 64).scores(m, new int[] {0})[0]) sum += v;
        assertEquals(zeros - base, sum, 1e-2 * Math.abs(zeros - base));
    }

    @Test
    void learnedMaskGradientsMatchFiniteDifferences() {
        MaskedModel m = masked();
        int[] chunk = {0, 5};
        int[] ref = {1, 2, 3, 7};
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        for (LearnedMask method : List.of(new Slimming(new LearnedMask.Settings(1, 0.1, 0.05, 4, 2, 1)),
                new HardConcrete(new LearnedMask.Settings(1, 0.1, 0.05, 4, 2, 1)))) {
            double[][] theta = new double[2][6], noise = new double[2][6];
            for (int j = 0; j < 2; j++) {
                for (int u = 0; u < 6; u++) {
                    theta[j][u] = rnd.nextDouble(-1, 1);
                    noise[j][u] = rnd.nextDouble(0.3, 0.7); // keeps hard-concrete gates inside (0, 1)
                }
            }
            double[][] probs = LearnedMask.unmasked(m, ref);
            double[][] g = method.objective(m, chunk, ref, probs, theta, noise).gradient();
            double h = 1e-3;
            for (int j = 0; j < 2; j++) {
                for (int u = 0; u < 6; u++) {
                    double keep = theta[j][u];
                    theta[j][u] = keep + h;
                    double up = method.objective(m, chunk, ref, probs, theta, noise).value()[j];
                    theta[j][u] = keep - h;
                    double down = method.objective(m, chunk, ref, probs, theta, noise).value()[j];
                    theta[j][u] = keep;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, g[j][u], 2e-3 + 2e-2 * Math.abs(fd), method.name() + " target " + j + " unit " + u);
                }
            }
        }
    }
}
