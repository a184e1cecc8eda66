package dev.engram.memorization.analysis;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.retrain.LayerRetraining;
import dev.engram.memorization.retrain.RetrainingAnalysis;
import dev.engram.memorization.rewind.RewindingAnalysis;
import dev.engram.memorization.prune.SparseDoubleDescent;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.detect.DetectionLeaderboard;
import dev.engram.memorization.compare.MethodComparison;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.memorization.localize.GroundTruthBenchmark;
import dev.engram.memorization.localize.InjectionGroundTruth;
import dev.engram.memorization.localize.LocalizationAnalysis;
import dev.engram.memorization.localize.LocalizationComparison;
import dev.engram.memorization.localize.LocalizationMethods;
import dev.engram.memorization.scores.CheckpointScores;
import dev.engram.memorization.scores.ScoresAnalysis;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.nn.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every model name {@code train} accepts goes through training on a tiny generated dataset in the real file format
 * (MNIST IDX files; CIFAR-10 binary batches for the 32×32-only {@code resnet9-dawn}), every analysis through
 * {@link Analyses#execute}, and the report. The big models ({@link #BIG}) run in {@link ModelMatrixIntegrationTest}
 * (tag {@code integration}, {@code mvn -Pintegration}).
 */
class ModelMatrixTest {
    /** Models too slow for the default test run on a small CPU; covered by {@link ModelMatrixIntegrationTest}. */
    static final List<String> BIG = List.of("resnet50", "resnet50-cifar", "vit");
    /** Models that only take 32×32 images: trained on generated CIFAR-10 files. */
    static final List<String> CIFAR_ONLY = List.of("resnet9-dawn");
    static final int TRAIN = 48;
    static final int TEST = 24;

    /** Every name of {@link Models#NAMES} and every alias, minus {@link #BIG}. */
    static Stream<String> models() {
        return allNames().stream().filter(m -> !BIG.contains(m));
    }

    static List<String> allNames() {
        List<String> all = new ArrayList<>(Models.NAMES);
        all.addAll(Models.ALIASES.keySet());
        return all;
    }

    @Test
    void theMatrixCoversEveryModelNameAndAlias() {
        assertThat(Stream.concat(models(), BIG.stream()).toList())
                .containsExactlyInAnyOrderElementsOf(allNames())
                .contains("small-cnn");
        assertThat(BIG).allMatch(Models.NAMES::contains);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void everyAnalysisAndTheReportRunOn(String model, @TempDir Path tmp) throws IOException {
        runMatrix(model, tmp);
    }

    /** Trains {@code model} on tiny data, runs every analysis and the report, checks their files; returns the run. */
    static RunFolder runMatrix(String model, Path tmp) throws IOException {
        long t0 = System.nanoTime();
        boolean cifar = CIFAR_ONLY.contains(model);
        TrainTest data = cifar ? TinyDatasets.cifar10(tmp.resolve("data"), TRAIN, TEST)
                : TinyDatasets.mnist(tmp.resolve("data"), TRAIN, TEST);
        assertThat(data.train().size()).isEqualTo(TRAIN);
        assertThat(data.test().size()).isEqualTo(TEST);
        ExperimentConfig cfg = new ExperimentConfig(cifar ? "cifar10" : "mnist", model, 0.2, 4, 2, 16, "sgd", 0.05, 0.9,
                0.0, "warmup-cosine", 0.1, false, 0, "cpu", 0);
        RunFolder folder = TrainingRun.create(tmp.resolve("run"), cfg, data.train(), List.of("test", model));
        RunData run = RunData.of(folder, DataSource.of(data));
        List<TrainingRun.EpochStats> stats = TrainingRun.train(run, TrainingRun.Options.DEFAULTS);
        assertThat(stats).hasSize(3);
        assertThat(stats).allMatch(s -> s.cleanAccuracy() >= 0 && s.cleanAccuracy() <= 1);
        assertThat(folder.checkpoints()).extracting(RunFolder.Checkpoint::epoch).contains(0, 1, 2);
        assertThat(folder.noise().noisyIndices()).isNotEmpty();
        long tTrain = System.nanoTime();

        Map<String, Double> seconds = new LinkedHashMap<>();
        List<String> log = new ArrayList<>();
        Progress progress = log::add;

        NeuronFlipping.Options search = NeuronFlipping.Options.DEFAULTS.toBuilder().maxUnits(3).referenceSize(8)
                .remainingEvalSize(8).targetsPerBatch(4).noise(2, 0.01).build();
        ExampleTiedDropoutExperiment.Settings etd = new ExampleTiedDropoutExperiment.Settings(
                ExampleTiedDropoutExperiment.Settings.DEFAULTS.grid(), List.of(ExampleTiedDropoutExperiment.Method.ETD),
                Double.NaN, 1, 64);
        List<String> localizers = List.of("first-order", "activations", "slimming", "random");
        LocalizationMethods.Settings localizing = new LocalizationMethods.Settings(8, 64, 4, 3, 0.2, 0.01, 3, false, 1);
        LocalizationComparison.Settings comparing = new LocalizationComparison.Settings(new int[] {1, 2, 100_000}, 16, 16, 3, 64, 1);
        List<Step<?, ?>> steps = List.of(
                new Step<>(new GradientAccounting(), new GradientAccounting.Options(List.of(2), 0)),
                new Step<>(new RewindingAnalysis(), RewindingAnalysis.Options.DEFAULTS),
                new Step<>(new RetrainingAnalysis(), new RetrainingAnalysis.Options(1,
                        RetrainingAnalysis.Options.DEFAULTS.peakLr(), null, false, LayerRetraining.BnStats.UPDATE, 0, 0)),
                new Step<>(new FlipAnalysis(), new FlipAnalysis.Options(-1, 2, 2, search)),
                new Step<>(new ExampleTiedDropoutExperiment(), etd),
                new Step<>(new ScoresAnalysis(), ScoresAnalysis.Options.DEFAULTS),
                new Step<>(new CheckpointScores(), new CheckpointScores.Options(1, 0, 64)),
                new Step<>(new DetectionLeaderboard(), new DetectionLeaderboard.Options(true, true, 1, 64, 1000, 5, 2)),
                new Step<>(new MethodComparison(), new MethodComparison.Options(List.of(new MethodComparison.Entry("sce",
                        TrainingMethods.STANDARD.toBuilder().sce(0.1, 1.0).build())), List.of(4L), 1, false, 0.2, 0.1, 64)),
                new Step<>(new SparseDoubleDescent(), new SparseDoubleDescent.Options(List.of(0.5), 1, 0, 64)),
                new Step<>(new dev.engram.memorization.compare.FittingCurves(), new dev.engram.memorization.compare.FittingCurves.Options(
                        List.of(dev.engram.memorization.compare.FittingCurves.standard("random-labels"),
                                dev.engram.memorization.compare.FittingCurves.standard("shuffled-pixels")), 1, 64)),
                new Step<>(new LocalizationAnalysis(), new LocalizationAnalysis.Options(localizers, 2, -1, localizing,
                        comparing)),
                new Step<>(new GroundTruthBenchmark(), new GroundTruthBenchmark.Options(localizers, 2, 1, 0.2, 0.1,
                        localizing, comparing, new InjectionGroundTruth.Options(localizers, 2, 2, 5, 0.1,
                        InjectionGroundTruth.UnitPool.LAST_TAP, localizing,
                        comparing))));
        assertThat(steps.stream().map(s -> s.analysis().kind()).toList())
                .as("the matrix runs every analysis kind but the training itself")
                .containsExactlyInAnyOrder(Stream.of(AnalysisKind.values())
                        .filter(k -> k != AnalysisKind.TRAINING).toArray(AnalysisKind[]::new));
        for (Step<?, ?> step : steps) {
            long s0 = System.nanoTime();
            Analysis.Result r = step.execute(run, progress);
            seconds.put(step.analysis().kind().dirName(), (System.nanoTime() - s0) / 1e9);
            assertThat(r.summaryRows()).as(step.analysis().kind() + " summary rows").isNotEmpty();
        }

        for (String task : List.of("rewinding", "retraining", "flipping", "example-tied dropout", "checkpoint scores")) {
            assertThat(log).as("progress of " + task + " with elapsed time, ending done")
                    .anyMatch(l -> l.startsWith(task) && l.contains("(100%), elapsed ") && l.endsWith(", done"));
        }

        assertThat(log).as("localize says when a k covers every unit")
                .anyMatch(l -> l.startsWith("warning: k = 100000 is at least the model's ") && l.contains("zeroes every unit"));

        Path report = ReportWriter.write(folder);
        String html = Files.readString(report);
        for (AnalysisKind k : AnalysisKind.values()) {
            Path results = folder.resultsFile(k.dirName());
            assertThat(results).as(model + ": " + k + " results.json").isRegularFile();
            assertThat(Files.size(results)).as(model + ": " + k + " results.json size").isGreaterThan(2);
            assertThat(html).as(model + ": the report mentions " + k.title()).contains(k.title());
        }
        try (Stream<Path> s = Files.list(folder.dir().resolve(RunFolder.ANALYSES))) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .as("no staging or replaced folders are left behind")
                    .noneMatch(n -> n.startsWith("."));
        }
        long end = System.nanoTime();
        System.out.printf(Locale.ROOT, "[matrix] %-15s total %6.1f s  train %5.1f s  %s%n", model, (end - t0) / 1e9,
                (tTrain - t0) / 1e9, seconds.entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue())).toList());
        return folder;
    }

    /** One analysis with its options. */
    record Step<O, R extends Analysis.Result>(Analysis<O, R> analysis, O options) {
        R execute(RunData data, Progress progress) throws IOException {
            return Analyses.execute(analysis, data, options, progress, false);
        }
    }
}
