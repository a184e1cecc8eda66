package dev.engram.memorization.etd;

import dev.engram.memorization.scores.ExampleSet;
import dev.engram.memorization.scores.SyntheticData;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Example-tied dropout on a generated 4-class task with 10% label noise. */
class ExampleTiedDropoutExperimentTest {

    @Test
    void droppingMemorizationUnitsRemovesTheNoisyLabelsButKeepsTheCleanOnes(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        ExampleSet all = SyntheticData.clusters(600, 4, 4, 1.0, 0.1, 21);
        int[] tr = new int[500], te = new int[100];
        for (int i = 0; i < 500; i++) tr[i] = i;
        for (int i = 0; i < 100; i++) te[i] = 500 + i;
        ExampleSet train = all.subset(tr);
        ExampleSet test = all.subset(te);
        var s = new ExampleTiedDropoutExperiment.Settings(List.<double[]>of(new double[] {0.3, 0.2}),
                List.of(ExampleTiedDropoutExperiment.Method.ETD, ExampleTiedDropoutExperiment.Method.STANDARD_DROPOUT),
                Double.NaN, 7, new TrainLoop.Settings(120, 32, 0.05, 0.9, 0, 3), 5, 256);
        List<ExampleTiedDropoutExperiment.Outcome> r = ExampleTiedDropoutExperiment.run(
                () -> new Mlp(5, 16, 256, 256, 4), List.of("2.out", "4.out"), train, test, s, null);
        var etd = r.get(0);
        var dropout = r.get(1);
        // Thresholds: 50 noisy examples whose corrupted label is never the cluster's class. With own masks the model
        // fits them (loss ~1e-3, so > 90% is loose). After dropping, only generalization units remain and they
        // predict the cluster class, i.e. never the corrupted label: chance-level agreement would be ~25%, the paper
        // reports 0.1% on MNIST; this run gives ~8%, so < 30% leaves room for numeric differences while still
        // failing if dropping removed nothing. Clean examples are separable clusters fit by the generalization
        // units: the paper's MNIST cost is 0.8 points, this run ~1.3; 5 points bounds it.
        assertThat(etd.before().noisyTrain()).isGreaterThan(0.9);
        assertThat(etd.after().noisyTrain()).isLessThan(0.3);
        assertThat(etd.cleanCostPoints()).isLessThan(5);
        // standard dropout memorizes as well and has nothing to drop
        assertThat(dropout.after().noisyTrain()).isGreaterThan(0.9);
        ExampleTiedDropoutExperiment.write(r, s, java.util.Map.of("dataset", "synthetic"), dir);
        assertThat(Files.readString(dir.resolve("results.json"))).contains("\"outcomes\"");
        assertThat(dir.resolve("accuracy-before-after.png")).exists();
    }
}
