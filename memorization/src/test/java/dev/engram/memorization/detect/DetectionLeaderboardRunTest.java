package dev.engram.memorization.detect;

import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.report.PngTitle;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The leaderboard end to end on a tiny trained run: Arnoldi row, headline number, ROC chart, galleries, report. */
class DetectionLeaderboardRunTest {
    @TempDir
    Path tmp;

    @Test
    void leaderboardOfATinyRunHasEveryCheckpointScoreAHeadlineNumberAndAGalleryPerScore() throws Exception {
        TrainTest tt = LayerTestSupport.data();
        RunFolder run = LayerTestSupport.trainedRun(tmp.resolve("run"), tt, 3, 0.2);
        RunData data = RunData.of(run, DataSource.of(tt));
        DetectionLeaderboard.Result r = Analyses.execute(new DetectionLeaderboard(), data,
                new DetectionLeaderboard.Options(true, false, 0, 50, 1000, 2, 10), Progress.NONE, false);

        assertThat(r.positives()).isEqualTo(DetectionLeaderboard.Result.NOISY);
        List<String> names = r.entries().stream().map(e -> e.detection().score()).toList();
        assertThat(names).contains("arnoldi self-influence", "tracin self-influence", "complexity gap (training-free)");
        for (var e : r.entries()) assertThat(e.detection().auroc()).isBetween(0.0, 1.0);

        SummaryRow head = r.summaryRows().get(0);
        assertThat(head.label()).startsWith("best AUROC").contains(r.entries().get(0).detection().score());
        assertThat(Double.parseDouble(head.value())).isCloseTo(r.entries().get(0).detection().auroc(),
                org.assertj.core.api.Assertions.within(1e-4));

        Path dir = run.analysisPath("detect");
        assertThat(dir.resolve("roc.png")).isRegularFile();
        long kept = r.entries().stream().filter(e -> e.suspicious() != null).count();
        try (var files = Files.list(dir)) {
            List<Path> galleries = files.filter(p -> p.getFileName().toString().startsWith("gallery-")).sorted().toList();
            assertThat(galleries).hasSize((int) kept);
            assertThat(PngTitle.read(galleries.get(0))).get().asString().startsWith("Top 16 by");
        }
        String html = ReportWriter.render(run);
        assertThat(html).contains("best AUROC at finding the noisy examples").contains("Top 16 by arnoldi self-influence");
        // TracIn's weight of a checkpoint covers the epochs since the previous one: sparse checkpoints weigh their gap
        double[] every = DetectionLeaderboard.epochLearningRates(data, new int[] {0, 1, 2, 3});
        double[] sparse = DetectionLeaderboard.epochLearningRates(data, new int[] {0, 3});
        assertThat(every[0]).isZero();
        assertThat(every[1]).isPositive();
        assertThat(sparse[1]).isCloseTo(every[1] + every[2] + every[3], org.assertj.core.api.Assertions.within(1e-12));
    }

    /**
     * Last checkpoints whose weights are not finite (NaN in one tensor, as after an overflow) make VoG, TracIn and
     * Arnoldi influence NaN: the leaderboard leaves those out with the reason and ranks the scores that are finite
     * (before, the first NaN score stopped the whole analysis).
     */
    @Test
    void scoresThatAreNotFiniteAreLeftOutWithTheReasonAndTheOthersRanked() throws Exception {
        TrainTest tt = LayerTestSupport.data();
        RunFolder run = LayerTestSupport.trainedRun(tmp.resolve("run"), tt, 3, 0.2);
        String broken = null;
        for (int epoch : new int[] {2, 3}) { // the last two: TracIn may weigh the last by a learning rate of 0
            Path file = run.checkpointPath(epoch);
            java.util.Map<String, dev.engram.engine.Tensor> weights = new java.util.LinkedHashMap<>(
                    dev.engram.nn.io.SafeTensors.load(file));
            String name = List.copyOf(weights.keySet()).get(weights.size() - 1); // the output layer's bias: NaN logits
            broken = name;
            dev.engram.engine.Tensor t = weights.get(name);
            float[] nan = new float[(int) t.numel()];
            java.util.Arrays.fill(nan, Float.NaN);
            weights.put(name, dev.engram.engine.Tensor.of(nan, t.shape()));
            dev.engram.nn.io.SafeTensors.write(file, weights);
        }

        RunData data = RunData.of(run, DataSource.of(tt));
        DetectionLeaderboard.Result r = Analyses.execute(new DetectionLeaderboard(), data,
                new DetectionLeaderboard.Options(true, false, 0, 50, 1000, 2, 4), Progress.NONE, false);
        List<String> names = r.entries().stream().map(e -> e.detection().score()).toList();
        assertThat(names).contains("complexity gap (training-free)", "mean_loss", "forgetting_events")
                .doesNotContain("tracin self-influence", "arnoldi self-influence").noneMatch(n -> n.startsWith("vog"));
        int n = tt.train().size();
        assertThat(r.skipped()).anyMatch(x -> x.startsWith("VoG: ") && x.contains("NaN"))
                .contains("tracin self-influence: " + n + " of " + n + " examples have no finite score (example 0: NaN);"
                        + " left out")
                .anyMatch(x -> x.startsWith("arnoldi self-influence: ") && x.contains("weights of the model are not finite"));
        String brokenName = broken;
        assertThat(r.skipped()).anyMatch(x -> x.contains("the first in tensor '" + brokenName + "'"));
        for (var e : r.entries()) assertThat(e.detection().auroc()).isBetween(0.0, 1.0);
        assertThat(run.analysisPath("detect").resolve("leaderboard.csv")).isRegularFile();
    }

    @Test
    void aCScoreRunsFlaggedExamplesWithUnchangedLabelsAreTheAtypicalPositives() {
        int[] labels = {0, 1, 2, 0, 1};
        NoisyLabels atypical = dev.engram.datasets.AtypicalMask.fromCScores(new float[] {0.9f, 0.2f, 0.8f, 0.4f, 0.7f}, labels);
        assertThat(DetectionLeaderboard.positives(atypical)).isEqualTo(DetectionLeaderboard.Result.ATYPICAL);
        var entry = new DetectionLeaderboard.Result(5, 2, List.of(), List.of(), atypical.mask(), List.of(),
                DetectionLeaderboard.Result.ATYPICAL, null, labels);
        assertThat(entry.direction(dev.engram.memorization.metrics.Detection.of("loss", "higher",
                new double[] {0, 1, 0, 1, 0}, atypical.mask()))).isEqualTo("higher = atypical");
        NoisyLabels noisy = dev.engram.datasets.LabelNoise.corrupt(labels, 3, 0.4, 1);
        assertThat(DetectionLeaderboard.positives(noisy)).isEqualTo(DetectionLeaderboard.Result.NOISY);
        NoisyLabels clean = dev.engram.datasets.LabelNoise.corrupt(labels, 3, 0, 1);
        assertThat(DetectionLeaderboard.positives(clean)).isEqualTo(DetectionLeaderboard.Result.NOISY);
    }
}
