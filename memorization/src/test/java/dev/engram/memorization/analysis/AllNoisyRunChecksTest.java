package dev.engram.memorization.analysis;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.detect.DetectionLeaderboard;
import dev.engram.memorization.retrain.RetrainingAnalysis;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.RunFolderTestSupport;
import dev.engram.memorization.scores.ScoresAnalysis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A run trained on random labels ({@code --noise 1.0}) has no clean example: the analyses that rank noisy against clean
 * examples or retrain on the clean ones refuse it in their check, naming the noise fraction, instead of failing deep in
 * an AUROC or a trainer without batches.
 */
class AllNoisyRunChecksTest {
    @TempDir
    Path tmp;

    private RunData allNoisy() throws IOException {
        RunFolder run = RunFolderTestSupport.newRun(tmp.resolve("run"), 1.0);
        int n = run.noise().size();
        Dataset d = new Dataset("gen", 1, 2, 2, 10, new byte[n * 4], run.noise().originalLabels());
        return RunData.of(run, DataSource.of(new TrainTest(d, d)));
    }

    @Test
    void scoresDetectionAndRetrainingRefuseARunWithoutCleanExamples() throws IOException {
        RunData data = allNoisy();
        assertThatThrownBy(() -> new ScoresAnalysis().check(data, ScoresAnalysis.Options.DEFAULTS))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("noise fraction 1.0")
                .hasMessageContaining("--noise < 1").hasMessageContaining("per-example scores");
        assertThatThrownBy(() -> new DetectionLeaderboard().check(data,
                new DetectionLeaderboard.Options(true, true, 1, 64, 1000, 5, 2)))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("noise fraction 1.0")
                .hasMessageContaining("detection leaderboard");
        assertThatThrownBy(() -> new RetrainingAnalysis().check(data, RetrainingAnalysis.Options.DEFAULTS))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("noise fraction 1.0")
                .hasMessageContaining("clean examples").hasMessageContaining("Layer retraining");
    }

    @Test
    void aRunWithCleanExamplesPassesTheCleanCheck() throws IOException {
        RunFolderTestSupport.newRun(tmp.resolve("noisy"), 0.9).requireClean("x", "needs clean examples");
    }
}
