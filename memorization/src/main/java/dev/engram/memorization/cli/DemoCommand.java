package dev.engram.memorization.cli;

import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.ConsoleProgress;
import dev.engram.memorization.analysis.PlainTask;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.detect.DetectionLeaderboard;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.retrain.RetrainingAnalysis;
import dev.engram.memorization.rewind.RewindingAnalysis;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.scores.CheckpointScores;
import dev.engram.memorization.scores.ScoresAnalysis;
import com.google.gson.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code engram demo}: the whole pipeline on real MNIST on the CPU in minutes: trains the demo preset
 * ({@link ExperimentConfig#cpuDemo()}: MLP, 10% label noise) with gradient accounting during training, then runs the
 * analyses of {@link #ANALYSES} in order through {@link Analyses#execute}, writes the HTML report and prints a
 * summary table of every analysis' summary rows and the total wall time.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline on MNIST with a small model on the CPU: train (10%% label noise) with gradient"
                + " accounting, per-example scores, checkpoint scores, neuron flipping, example-tied dropout, layer rewinding,"
                + " layer retraining, mislabel-detection leaderboard, report.html, summary table.")
public final class DemoCommand implements Callable<Integer> {
    /**
     * One analysis of the demo with its settings.
     *
     * @param title        printed while it runs
     * @param analysis     the analysis
     * @param options      its options
     * @param relativeCost its wall time as a multiple of the demo's training time, measured on a reference run of the
     *                     demo (see {@link #ANALYSES}); scales the estimate of the time left
     */
    public record Step<O, R extends Analysis.Result>(String title, Analysis<O, R> analysis, O options,
                                                     double relativeCost) {
        /** Runs the analysis on the demo's run and returns its summary rows. */
        public List<SummaryRow> run(RunData data, Progress progress) throws IOException {
            return Analyses.execute(analysis, data, options, progress, false).summaryRows();
        }
    }

    /**
     * The analyses the demo runs after training, in order, with settings small enough for the demo: per-example
     * scores, checkpoint scores, neuron flipping (50 noisy and 50 clean targets), example-tied dropout (no
     * baselines), layer rewinding, layer retraining (10 epochs, the run's own optimizer settings) and the
     * mislabel-detection leaderboard (its extra trainings 10 epochs each). Their relative costs are the mean wall
     * times of two demo runs of 2026-12-04 23:15 UTC (2 vCPU AMD EPYC, bc5aed7) divided by their mean time to the first
     * analysis (27 s: data loading, the estimate and training), the quantity {@link #call} scales them by.
     */
    public static final List<Step<?, ?>> ANALYSES = List.of(
            new Step<>("per-example scores", new ScoresAnalysis(), ScoresAnalysis.Options.DEFAULTS, 0.01),
            new Step<>("checkpoint scores (VoG, loss/margin trajectories)", new CheckpointScores(),
                    CheckpointScores.Options.DEFAULTS, 0.19),
            new Step<>("neuron flipping", new FlipAnalysis(), new FlipAnalysis.Options(-1, 50, 50,
                    FlipAnalysis.Options.DEFAULTS.search()), 0.41),
            new Step<>("example-tied dropout", new ExampleTiedDropoutExperiment(),
                    new ExampleTiedDropoutExperiment.Settings(ExampleTiedDropoutExperiment.Settings.DEFAULTS.grid(),
                            List.of(ExampleTiedDropoutExperiment.Method.ETD), Double.NaN, 0,
                            ExampleTiedDropoutExperiment.Settings.DEFAULTS.evalBatchSize()), 0.20),
            new Step<>("layer rewinding", new RewindingAnalysis(), RewindingAnalysis.Options.DEFAULTS, 0.07),
            new Step<>("layer retraining", new RetrainingAnalysis(), RetrainingAnalysis.Options.DEFAULTS.withEpochs(10), 0.13),
            new Step<>("mislabel-detection leaderboard (every per-example score)", new DetectionLeaderboard(),
                    new DetectionLeaderboard.Options(true, true, 10, 500, 1000, 5, 30), 0.91));

    /**
     * The training time with gradient accounting (three backward passes) over the training time the estimate predicts
     * for plain steps. The estimate times a few steps in a cold JVM, which overstates warm plain steps about as much
     * as gradient accounting adds. On 2026-12-04 (2 vCPU AMD EPYC) the estimate said 28 s (21 s of steps) in a
     * demo run stopped after it, and a whole demo run at 7a32c34, training with gradient accounting, reached its
     * first analysis after 31 s; with this factor, the two calibration runs of {@link #ANALYSES} printed training
     * estimates of 34 s and 36 s and reached their first analysis after 26 s and 28 s.
     */
    static final double GRAD_ACCOUNTING_STEP_FACTOR = 1.15;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", converter = RunFolderOption.class,
            description = "Run folder (default: runs/demo-<date-time>).")
    Path run;

    @Option(names = "--epochs", paramLabel = "N", description = "Override the demo's number of epochs.")
    Integer epochs;

    @Option(names = "--no-grad-accounting", description = "Train without gradient accounting (faster).")
    boolean noGradAccounting;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        ExperimentConfig.Builder b = ExperimentConfig.cpuDemo().toBuilder().device(runtime.device().toString(),
                runtime.threads());
        if (epochs != null) b.epochs(epochs);
        ExperimentConfig cfg = b.build();
        Path dir = run != null ? run : Path.of("runs", "demo-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        out.printf(Locale.ROOT, "[demo] training: %s, %d %s examples, %.0f%% label noise, %d epochs%s%n", cfg.model(),
                cfg.trainSubset(), cfg.dataset(), cfg.noiseFraction() * 100, cfg.epochs(),
                noGradAccounting ? "" : ", gradient accounting on");
        out.flush();
        double analysesCost = ANALYSES.stream().mapToDouble(Step::relativeCost).sum();
        RunData data = TrainCommand.trainRun(cfg, dir, offline, !noGradAccounting, out, TrainCommand.commandLine(spec),
                est -> {
                    double training = est.totalSeconds() + (noGradAccounting ? 0
                            : (GRAD_ACCOUNTING_STEP_FACTOR - 1) * est.trainingSeconds());
                    out.printf(Locale.ROOT, "[demo] estimated total: about %s (training about %s%s, then the analyses)%n",
                            PlainTask.duration(training * (1 + analysesCost)), PlainTask.duration(training),
                            noGradAccounting ? "" : " with gradient accounting");
                    out.flush();
                });

        List<SummaryRow> table = new ArrayList<>();
        JsonObject training = data.run().readResults(AnalysisKind.TRAINING.dirName());
        table.add(new SummaryRow("clean train accuracy", SummaryRow.pct(training.get("finalCleanTrainAccuracy").getAsDouble())));
        table.add(new SummaryRow("noisy train accuracy (memorized)",
                SummaryRow.pct(training.get("finalNoisyTrainAccuracy").getAsDouble())));
        table.add(new SummaryRow("test accuracy", SummaryRow.pct(training.get("finalTestAccuracy").getAsDouble())));
        if (!noGradAccounting) {
            table.addAll(GradientAccounting.rows(GradientAccounting.summarize(data.run(), EpochAccount.DURING_TRAINING)));
        }
        double trainingSeconds = (System.nanoTime() - t0) / 1e9;
        double costLeft = ANALYSES.stream().mapToDouble(Step::relativeCost).sum();
        double costDone = 0, analysisSeconds = 0;
        for (int i = 0; i < ANALYSES.size(); i++) {
            Step<?, ?> step = ANALYSES.get(i);
            // seconds per unit of cost: the training time at first, then what the finished analyses took
            double perCost = costDone > 0 ? analysisSeconds / costDone : trainingSeconds;
            out.println();
            out.printf(Locale.ROOT, "[demo %d/%d] %s (elapsed %s, about %s left)%n", i + 1, ANALYSES.size(), step.title(),
                    PlainTask.duration((System.nanoTime() - t0) / 1e9), PlainTask.duration(perCost * costLeft));
            out.flush();
            long s0 = System.nanoTime();
            table.addAll(step.run(data, ConsoleProgress.of(out)));
            double took = (System.nanoTime() - s0) / 1e9;
            out.printf(Locale.ROOT, "[demo] %s took %s%n", step.title(), PlainTask.duration(took));
            analysisSeconds += took;
            costDone += step.relativeCost();
            costLeft -= step.relativeCost();
        }

        Path report = ReportWriter.write(data.run());
        out.println();
        out.println("[demo] summary");
        SummaryRow.format(table).forEach(out::println);
        out.println("report: " + report.toAbsolutePath());
        out.printf(Locale.ROOT, "total wall time: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }
}
