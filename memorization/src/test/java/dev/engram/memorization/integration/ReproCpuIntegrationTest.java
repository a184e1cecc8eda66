package dev.engram.memorization.integration;

import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.memorization.rewind.RewindingAnalysis;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.scores.ScoresAnalysis;
import dev.engram.memorization.train.TrainingRun;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The qualitative claims of the CPU tier of {@code REPRODUCTION.md} on real MNIST ({@code train --preset repro-cpu}:
 * ResNet-9 at width 0.25, 10,000 examples, 10% noise, seed 4), skipped when MNIST is not in the dataset cache:
 * the noisy labels get memorized while test accuracy stays high; the per-example loss finds them; rewinding one
 * layer group to an early checkpoint does not remove memorization for most groups (paper, Fig. 3); example-tied
 * dropout confines memorization so that dropping the memorization units takes the noisy examples' accuracy down
 * while keeping the clean ones (paper §4.2). Training takes about 20 minutes on 2 cores; pass
 * {@code -Dengram.repro.run=DIR} with a run trained by {@code engram train --preset repro-cpu --run DIR} to reuse it
 * (it is copied, the original is not written). Run with {@code -Pintegration}; not part of the default build.
 * Neuron flipping, retraining and gradient accounting are checked by their own analyses' tests.
 */
@Tag("integration")
class ReproCpuIntegrationTest {
    @TempDir
    Path tmp;

    @Test
    void cpuTierReproducesTheQualitativeClaims() throws IOException {
        TrainTest mnist;
        try {
            mnist = Datasets.mnist(FetchOptions.defaults().withOffline(true));
        } catch (IOException e) {
            Assumptions.abort("MNIST is not in the dataset cache (" + e.getMessage() + ")");
            return;
        }
        ExperimentConfig cfg = ExperimentConfig.reproCpu().toBuilder().device("cpu", 0).build();
        Path dir = tmp.resolve("run");
        String given = System.getProperty("engram.repro.run");
        if (given != null && !given.isBlank()) {
            copy(Path.of(given), dir);
        } else {
            RunFolder created = TrainingRun.create(dir, cfg, mnist.train(), List.of("test"));
            TrainingRun.train(RunData.of(created, DataSource.of(mnist)), TrainingRun.Listener.NONE);
        }
        RunData data = RunData.open(dir, DataSource.of(mnist));
        assertThat(data.config().model()).isEqualTo(ExperimentConfig.REPRO_CPU_MODEL);
        int last = data.config().epochs();

        // memorization happened, and the per-example loss finds the noisy examples
        ScoresAnalysis.Result s = Analyses.execute(new ScoresAnalysis(), data, ScoresAnalysis.Options.DEFAULTS,
                Progress.NONE, true);
        Detection loss = s.detections().stream().filter(d -> d.score().equals("mean_loss")).findFirst().orElseThrow();
        assertThat(loss.auroc()).as("mean-loss AUROC for the noisy examples").isGreaterThan(0.8);

        // rewinding a single group to an early checkpoint leaves most of the memorization for most groups
        int early = Math.max(1, last / 3);
        RewindingAnalysis.Result r = Analyses.execute(new RewindingAnalysis(), data,
                new RewindingAnalysis.Options(List.of(early), LayerRewinding.BnStats.KEEP_FINAL, false), Progress.NONE, true);
        assertThat(r.finalNoisy()).as("noisy training examples memorized by the final model").isGreaterThan(0.5);
        long kept = java.util.Arrays.stream(r.noisyAccuracy()[0]).filter(a -> a >= 0.5 * r.finalNoisy()).count();
        assertThat(kept).as("groups whose rewinding to epoch %d keeps at least half the memorization", early)
                .isGreaterThan(r.groups().size() / 2);

        // ETD: dropping the memorization units removes most of the noisy accuracy but little clean accuracy
        ExampleTiedDropoutExperiment.Settings d = ExampleTiedDropoutExperiment.Settings.DEFAULTS;
        ExampleTiedDropoutExperiment.Result etd = Analyses.execute(new ExampleTiedDropoutExperiment(), data,
                new ExampleTiedDropoutExperiment.Settings(d.grid(), List.of(ExampleTiedDropoutExperiment.Method.ETD),
                        Double.NaN, 8, d.evalBatchSize()), Progress.NONE, true);
        ExampleTiedDropoutExperiment.Outcome o = etd.outcomes().get(0);
        assertThat(o.after().noisyTrain()).as("noisy accuracy after dropping").isLessThan(0.5 * o.before().noisyTrain());
        assertThat(o.after().cleanTrain()).as("clean accuracy after dropping").isGreaterThan(0.85);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else if (!p.getFileName().toString().endsWith(".lock")) Files.copy(p, target);
            }
        }
    }
}
