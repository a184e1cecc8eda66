package dev.engram.memorization.experiment;

import dev.engram.datasets.Dataset;
import dev.engram.engine.Tensor;
import dev.engram.memorization.cli.EngramCli;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** End-to-end plumbing of the training run and the scores analysis on a tiny synthetic 4×4 dataset. */
class TrainingRunTest {
    @TempDir
    Path tmp;

    /** Class k lights pixel k (plus noise), so clean labels are learnable. */
    static Dataset synthetic(String name, int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 16];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
            for (int p = 0; p < 16; p++) px[i * 16 + p] = (byte) r.nextInt(60);
            px[i * 16 + y[i]] = (byte) 250;
        }
        return new Dataset(name, 1, 4, 4, 10, px, y);
    }

    static ExperimentConfig config(int epochs, double noise) {
        return new ExperimentConfig("mnist", "mlp", noise, 5, epochs, 20, "sgd", 0.05, 0.9, 0.0, "warmup-cosine", 0.1,
                false, 0, "cpu", 0);
    }

    @Test
    void trainsWritesCheckpointsTrajectoriesScoresAndReport() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        ExperimentConfig cfg = config(3, 0.2);
        RunFolder run = TrainingRun.create(tmp.resolve("run"), cfg, train, List.of("test"));
        assertThat(run.noise().noisyCount()).isEqualTo(20);
        List<TrainingRun.EpochStats> stats = TrainingRun.train(run, train, test, TrainingRun.Listener.NONE);

        assertThat(stats).extracting(TrainingRun.EpochStats::epoch).containsExactly(0, 1, 2, 3);
        assertThat(run.checkpoints()).extracting(RunFolder.Checkpoint::epoch).containsExactly(0, 1, 2, 3);
        assertThat(stats.get(0).trainLoss()).isNaN();
        for (int e = 1; e <= 3; e++) assertThat(stats.get(e).trainLoss()).isFinite().isPositive();
        // clean examples are easy: accuracy must rise well above chance (0.1) within 3 epochs
        assertThat(stats.get(3).cleanAccuracy()).isGreaterThan(0.5);

        Path dir = run.analysisPath("training");
        Map<String, Tensor> t = SafeTensors.load(dir.resolve(TrainingRun.PER_EXAMPLE));
        assertThat(t.get("correct").shape()).containsExactly(4, 100);
        assertThat(t.get("loss").shape()).containsExactly(4, 100);
        // the stored correctness of the last epoch reproduces the reported clean accuracy
        float[] c = t.get("correct").toFloatArray();
        int[] clean = run.noise().cleanIndices();
        double acc = 0;
        for (int i : clean) acc += c[3 * 100 + i];
        assertThat(acc / clean.length).isEqualTo(stats.get(3).cleanAccuracy());
        assertThat(Files.readAllLines(dir.resolve("accuracy.csv"))).hasSize(5);
        assertThat(run.readResults("training").get("epochs").getAsInt()).isEqualTo(3);
        assertThat(run.provenance().orElseThrow().endTime()).isNotNull();

        ScoresAnalysis.Result r = ScoresAnalysis.run(run);
        assertThat(r.examples()).isEqualTo(100);
        assertThat(r.noisy()).isEqualTo(20);
        assertThat(r.detections()).hasSize(5).allSatisfy(d -> {
            assertThat(d.auroc()).isBetween(0.0, 1.0);
            assertThat(d.precisionAtNumNoisy()).isBetween(0.0, 1.0);
        });
        assertThat(run.analysisPath("scores").resolve("scores.csv")).isRegularFile();

        String html = ReportWriter.render(run);
        assertThat(html).contains("id=\"training\"").contains("id=\"scores\"").contains("accuracy.png");
    }

    @Test
    void scoresRefuseARunWithoutNoiseOrWithoutTraining() throws IOException {
        Dataset train = synthetic("syn-train", 50, 1);
        RunFolder cleanRun = TrainingRun.create(tmp.resolve("clean"), config(1, 0.0), train, List.of("test"));
        assertThatThrownBy(() -> ScoresAnalysis.run(cleanRun)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("no noisy examples");
        RunFolder untrained = TrainingRun.create(tmp.resolve("untrained"), config(1, 0.2), train, List.of("test"));
        assertThatThrownBy(() -> ScoresAnalysis.run(untrained)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("per-example.safetensors").hasMessageContaining("engram train");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EngramCli.run(new PrintWriter(out), new PrintWriter(err), "scores", "--run", untrained.dir().toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("engram scores: error:").contains("engram train");
    }
}
