package dev.engram.memorization.train;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.ParameterVector;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Susceptibility: the probe step against an independent computation, and that it rises with memorization. */
class SusceptibilityTest {
    @TempDir
    Path tmp;

    @Test
    void probeIsTheLossDecreaseOfOneSgdStepOnRandomLabelsAndLeavesTheWeightsAsTheyWere() {
        ExampleSet pool = SyntheticData.clusters(30, 3, 3, 0.5, 0, 2);
        Module model = new Mlp(1, 9, 3); // softmax regression: the gradient has a closed form
        model.eval();
        double lr = 0.3, wd = 0.01;
        Susceptibility s = new Susceptibility(pool, 8, lr, wd, 5);
        var params = ParameterVector.trainable(model);
        double[] before = ParameterVector.values(params);
        double delta = s.probe(model, 3);
        assertThat(ParameterVector.values(params)).containsExactly(before);
        assertThat(s.probe(model, 3)).isEqualTo(delta);

        // independently: the batch, its loss, the closed-form gradient (p − e_y) x̃ᵀ / m, one step, the loss again
        ExampleSet b = s.batch(3);
        assertThat(b.size()).isEqualTo(8);
        float[] w = model.namedParameters().get("1.weight").toFloatArray(), bias = model.namedParameters().get("1.bias").toFloatArray();
        double l0 = loss(w, bias, b), d = b.exampleSize();
        float[] w2 = w.clone(), b2 = bias.clone();
        for (int i = 0; i < b.size(); i++) {
            double[] p = softmax(w, bias, b, i);
            for (int c = 0; c < 3; c++) {
                double r = (p[c] - (b.labels()[i] == c ? 1 : 0)) / b.size();
                for (int j = 0; j < d; j++) w2[c * (int) d + j] -= (float) (lr * r * b.x()[i * (int) d + j]);
                b2[c] -= (float) (lr * r);
            }
        }
        for (int q = 0; q < w.length; q++) w2[q] -= (float) (lr * wd * w[q]);
        for (int c = 0; c < 3; c++) b2[c] -= (float) (lr * wd * bias[c]);
        assertThat(delta).isCloseTo(l0 - loss(w2, b2, b), within(1e-4));
        assertThat(delta).isPositive();
    }

    private static double[] softmax(float[] w, float[] b, ExampleSet s, int i) {
        int d = s.exampleSize(), k = s.numClasses();
        double[] z = new double[k];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int c = 0; c < k; c++) {
            z[c] = b[c];
            for (int j = 0; j < d; j++) z[c] += (double) w[c * d + j] * s.x()[i * d + j];
            max = Math.max(max, z[c]);
        }
        for (int c = 0; c < k; c++) sum += z[c] = Math.exp(z[c] - max);
        for (int c = 0; c < k; c++) z[c] /= sum;
        return z;
    }

    private static double loss(float[] w, float[] b, ExampleSet s) {
        double l = 0;
        for (int i = 0; i < s.size(); i++) l -= Math.log(softmax(w, b, s, i)[s.labels()[i]]);
        return l / s.size();
    }

    @Test
    void runningMeanSkipsTheUntrainedModelAndMissingValues() {
        assertThat(Susceptibility.running(new double[] {9, 1, 3, Double.NaN, 5})).containsExactly(Double.NaN, 1, 2, 2, 3);
        assertThatThrownBy(() -> new Susceptibility(SyntheticData.clusters(3, 2, 2, 1, 0, 1), 0, 0.1, 0, 1))
                .hasMessageContaining("got 0");
    }

    @Test
    void susceptibilityIsRecordedEveryEpochAndRisesWhenTheRunMemorizesItsNoisyLabels() throws Exception {
        // the same noisy data (30% of labels corrupted) trained briefly and long: the long run memorizes the noisy
        // labels, and its susceptibility to random labels is higher
        TrainTest tt = new TrainTest(LayerTestSupport.synthetic("syn-train", 100, 1), LayerTestSupport.synthetic("syn-test", 60, 11));
        double[] noisyAcc = new double[2], zeta = new double[2];
        int[] epochs = {6, 40};
        for (int r = 0; r < 2; r++) {
            ExperimentConfig cfg = new ExperimentConfig("mnist", "mlp", 0.3, 1, epochs[r], 20, "sgd", 0.1, 0.9, 0.0,
                    "warmup-cosine", 0.1, false, 0, "cpu", 0);
            RunFolder run = TrainingRun.create(tmp.resolve("run" + r), cfg, tt.train(), List.of("test"));
            List<TrainingRun.EpochStats> st = TrainingRun.train(RunData.of(run, DataSource.of(tt)), TrainingRun.Listener.NONE);
            for (TrainingRun.EpochStats e : st) assertThat(e.susceptibility()).isFinite();
            noisyAcc[r] = st.get(st.size() - 1).noisyAccuracy();
            double[] z = Susceptibility.running(st.stream().mapToDouble(TrainingRun.EpochStats::susceptibility).toArray());
            zeta[r] = z[z.length - 1];
            CsvTable t = CsvTable.read(run.analysisPath("training").resolve("accuracy.csv"));
            assertThat(t.rowCount()).isEqualTo(epochs[r] + 1);
            assertThat(run.analysisPath("training").resolve("susceptibility.png")).isRegularFile();
            assertThat(run.readResults("training").get("finalSusceptibility").getAsDouble()).isCloseTo(zeta[r], within(1e-9));
        }
        assertThat(noisyAcc[1]).as("the long run memorizes").isGreaterThan(noisyAcc[0] + 0.5);
        assertThat(zeta[1]).as("susceptibility after memorizing").isGreaterThan(zeta[0]);
    }
}
