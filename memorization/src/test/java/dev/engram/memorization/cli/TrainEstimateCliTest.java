package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.train.TrainingEstimate;
import dev.engram.memorization.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train --dry-run} prints the estimate and writes nothing; a real {@code train} prints the same kind of estimate
 * first and a time-left column per epoch, and timing those steps on a separate model does not change the run.
 */
class TrainEstimateCliTest extends CliTestBase {
    @TempDir
    Path tmp;

    @Test
    void dryRunPrintsTheEstimateAndWritesNothing() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 60, 6, 3);
        Path run = tmp.resolve("run");
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model", "mlp",
                "--epochs", "3", "--batch-size", "8", "--dry-run")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("dry run: mlp").contains("nothing written")
                .containsPattern("estimated time: .*\\(18 steps × [0-9.]+ s/step, median of 5 timed steps")
                .contains("evaluations of 240 examples"); // (3 + 1) epochs × (48 train + 12 test)
        assertThat(run).doesNotExist();
    }

    @Test
    void dryRunStillRefusesBadOptionsByName() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 20, 4, 3);
        assertThat(engram("train", "--run", tmp.resolve("r").toString(), "--dataset", "npy:" + data, "--model",
                "nosuchnet", "--dry-run")).isNotZero();
        assertThat(err.toString()).contains("nosuchnet");
        assertThat(tmp.resolve("r")).doesNotExist();
    }

    @Test
    void timingStepsBeforeTrainingLeavesTheRunUnchanged() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 60, 6, 3);
        Path viaCli = tmp.resolve("cli");
        assertThat(engram("train", "--run", viaCli.toString(), "--dataset", "npy:" + data, "--model", "mlp",
                "--epochs", "2", "--batch-size", "8", "--noise", "0.2", "--seed", "5")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("estimated time:").contains("time-left").contains("done");

        RunData cli = RunData.open(viaCli, DataSource.catalog(FetchOptions.defaults().withOffline(true)));
        ExperimentConfig cfg = cli.config();
        var tt = DataSource.catalog(FetchOptions.defaults().withOffline(true)).load(cfg);
        Path direct = tmp.resolve("direct");
        RunData plain = RunData.of(TrainingRun.create(direct, cfg, tt.train(), java.util.List.of("test")),
                DataSource.of(tt));
        TrainingRun.train(plain, s -> { });
        assertThat(Files.readAllBytes(plain.run().checkpointPath(2)))
                .isEqualTo(Files.readAllBytes(cli.run().checkpointPath(2)));
    }

    @Test
    void theEstimateAddsUpItsParts() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 100, 6, 3);
        RunData probe = RunData.of(TrainingRun.create(tmp.resolve("p"), ExperimentConfig.cpuDemo().toBuilder()
                .dataset("npy:" + data).model("mlp").epochs(4).batchSize(16).trainSubset(0).build(),
                DataSource.catalog(FetchOptions.defaults().withOffline(true)).load(ExperimentConfig.cpuDemo().toBuilder()
                        .dataset("npy:" + data).model("mlp").build()).train(), java.util.List.of("test")),
                DataSource.catalog(FetchOptions.defaults().withOffline(true)));
        TrainingEstimate e = TrainingEstimate.measure(probe.config(), probe.train(), probe.test(), 4);
        assertThat(e.steps()).isEqualTo(4L * 5); // 80 training examples in batches of 16
        assertThat(e.evaluatedExamples()).isEqualTo(5L * 100);
        assertThat(e.secondsPerStep()).isPositive().isFinite();
        assertThat(e.totalSeconds()).isCloseTo(e.steps() * e.secondsPerStep()
                + e.evaluatedExamples() * e.secondsPerEvalExample(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(e.describe()).contains("20 steps").contains("median of 4 timed steps");
        // one step of a tiny run: singular, and its time in tenths rather than "0 s"
        String one = new dev.engram.memorization.train.TrainingEstimate(0.0123, 1e-5, 1, 100, 1, false).describe();
        assertThat(one).contains("(1 step × 0.012 s/step, median of 1 timed step = 0.0 s;");
        assertThat(new dev.engram.memorization.train.TrainingEstimate(0.5, 1e-5, 7, 100, 3, false).describe())
                .contains("= 3.5 s;");
    }
}
