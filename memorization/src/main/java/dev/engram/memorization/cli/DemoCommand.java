package dev.engram.memorization.cli;

import dev.engram.memorization.experiment.ScoresAnalysis;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import com.google.gson.JsonObject;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code engram demo}: the whole pipeline on real MNIST on the CPU in minutes: trains the demo preset
 * ({@link ExperimentConfig#cpuDemo()}: MLP, 10% label noise) with gradient accounting during training, computes the
 * per-example scores, runs the further analyses of {@link #ANALYSES} (checkpoint scores, neuron flipping,
 * example-tied dropout), writes the HTML report and prints a summary
 * table and the total wall time.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline on MNIST with a small model on the CPU: train (10%% label noise) with gradient"
                + " accounting, per-example scores, checkpoint scores, neuron flipping, example-tied dropout, layer rewinding,"
                + " layer retraining, report.html, summary table.")
public final class DemoCommand implements Callable<Integer> {
    /**
     * An analysis of the demo after training and scores.
     */
    public interface Step {
        /** Short name printed while it runs. */
        String name();

        /** Runs the analysis on the trained run; returns rows (label → value) for the summary table. */
        Map<String, String> run(RunFolder run, PrintWriter out, RuntimeOptions runtime) throws Exception;
    }

    /**
     * The analyses the demo runs after training and scores, in order, each through its {@code engram} subcommand with
     * settings small enough for the demo. The list ends with layer rewinding and layer retraining.
     */
    public static final List<Step> ANALYSES = List.of(
            subcommand("checkpoint scores (VoG, loss/margin trajectories)", "checkpoint-scores", List.of(),
                    (run, rows) -> {
                        JsonObject r = run.readResults("checkpoint-scores");
                        if (r.has("detections")) {
                            for (var d : r.getAsJsonArray("detections")) {
                                JsonObject o = d.getAsJsonObject();
                                // loss, margin and forgetting events repeat the per-epoch scores above; VoG is new here
                                if (!o.get("score").getAsString().startsWith("vog")) continue;
                                rows.put("AUROC " + o.get("score").getAsString() + " (checkpoints)",
                                        String.format(Locale.ROOT, "%.4f", o.get("auroc").getAsDouble()));
                            }
                        }
                    }),
            subcommand("neuron flipping", "flip", List.of("--noisy", "50", "--clean", "50"), (run, rows) -> {
                JsonObject s = run.readResults(AnalysisKind.FLIPPING.dirName()).getAsJsonObject("summary");
                rows.put("flipped with < 10 units: noisy / clean", String.format(Locale.ROOT, "%s / %s",
                        pct(s.get("noisyFlippedUnder10").getAsDouble()), pct(s.get("cleanFlippedUnder10").getAsDouble())));
            }),
            subcommand("example-tied dropout", "etd", List.of("--methods", "ETD"), (run, rows) -> {
                var outcomes = run.readResults(AnalysisKind.ETD.dirName()).getAsJsonArray("outcomes");
                for (var o : outcomes) {
                    JsonObject after = o.getAsJsonObject().getAsJsonObject("after");
                    rows.put("ETD after dropping: clean / noisy / test", String.format(Locale.ROOT, "%s / %s / %s",
                            pct(after.get("cleanTrain").getAsDouble()), pct(after.get("noisyTrain").getAsDouble()),
                            pct(after.get("test").getAsDouble())));
                }
            }),
            subcommand("layer rewinding", "rewind", List.of(), (run, rows) -> {
                JsonObject r = run.readResults(AnalysisKind.REWINDING.dirName());
                var epochs = r.getAsJsonArray("epochs");
                var noisy = r.getAsJsonArray("noisyAccuracy").get(0).getAsJsonArray();
                rows.put("rewind one group to epoch " + epochs.get(0).getAsInt() + ": noisy acc per group",
                        joinPct(noisy));
            }),
            subcommand("layer retraining", "retrain", List.of("--epochs", "10"), (run, rows) -> {
                JsonObject r = run.readResults(AnalysisKind.RETRAINING.dirName());
                rows.put("retrain one group on clean data: noisy acc per group", joinPct(r.getAsJsonArray("noisyAfter")));
            }));

    private static String joinPct(com.google.gson.JsonArray values) {
        StringBuilder sb = new StringBuilder();
        for (var v : values) {
            if (sb.length() > 0) sb.append(" / ");
            sb.append(pct(v.getAsDouble()));
        }
        return sb.toString();
    }

    /** Reads an analysis' results into summary rows. */
    @FunctionalInterface
    public interface Rows {
        /** Adds rows (label → value) from the analysis' output in {@code run}. */
        void add(RunFolder run, Map<String, String> rows) throws Exception;
    }

    /**
     * A step that runs {@code engram <name> --run DIR <args> --device … --threads …} on the demo's streams and then
     * reads its results into summary rows.
     */
    public static Step subcommand(String title, String name, List<String> args, Rows rows) {
        return new Step() {
            @Override
            public String name() {
                return title;
            }

            @Override
            public Map<String, String> run(RunFolder run, PrintWriter out, RuntimeOptions runtime) throws Exception {
                List<String> argv = new ArrayList<>(List.of(name, "--run", run.dir().toString()));
                argv.addAll(args);
                argv.addAll(List.of("--device", runtime.device, "--threads", Integer.toString(runtime.threads())));
                StringWriter err = new StringWriter();
                int code = EngramCli.commandLine(out, new PrintWriter(err, true)).execute(argv.toArray(String[]::new));
                if (code != 0) {
                    throw new IllegalStateException("demo step `engram " + String.join(" ", argv) + "` failed: "
                            + err.toString().strip());
                }
                Map<String, String> m = new LinkedHashMap<>();
                rows.add(run, m);
                return m;
            }
        };
    }

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", description = "Run folder (default: runs/demo-<date-time>).")
    Path run;

    @Option(names = "--epochs", description = "Override the demo's number of epochs.")
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
        ExperimentConfig cfg = ExperimentConfig.cpuDemo().withDevice(runtime.device().toString(), runtime.threads());
        if (epochs != null) cfg = cfg.withEpochs(epochs);
        Path dir = run != null ? run : Path.of("runs", "demo-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        out.printf(Locale.ROOT, "[demo] training: %s, %d %s examples, %.0f%% label noise, %d epochs%s%n", cfg.model(),
                cfg.trainSubset(), cfg.dataset(), cfg.noiseFraction() * 100, cfg.epochs(),
                noGradAccounting ? "" : ", gradient accounting on");
        out.flush();
        RunFolder folder = TrainCommand.trainRun(cfg, dir, offline, !noGradAccounting, out, TrainCommand.commandLine(spec));

        Map<String, String> table = new LinkedHashMap<>();
        JsonObject training = folder.readResults(AnalysisKind.TRAINING.dirName());
        table.put("clean train accuracy", pct(training.get("finalCleanTrainAccuracy").getAsDouble()));
        table.put("noisy train accuracy (memorized)", pct(training.get("finalNoisyTrainAccuracy").getAsDouble()));
        table.put("test accuracy", pct(training.get("finalTestAccuracy").getAsDouble()));
        if (!noGradAccounting) {
            GradientAccounting.Summary g = GradientAccounting.summarize(folder, EpochAccount.DURING_TRAINING);
            table.put("per-example grad norm, noisy / clean", String.format(Locale.ROOT, "%.2f (%.4g / %.4g)",
                    g.noisyToCleanExampleNormRatio(), g.meanNoisyExampleNorm(), g.meanCleanExampleNorm()));
            table.put("cosine(clean, noisy gradient), mean", String.format(Locale.ROOT, "%.3f", g.meanCosine()));
            table.put("layer grad norm clean / noisy / total", String.format(Locale.ROOT, "%.4g / %.4g / %.4g",
                    g.meanCleanNorm(), g.meanNoisyNorm(), g.meanTotalNorm()));
        }

        out.println();
        out.println("[demo] per-example scores");
        out.flush();
        ScoresAnalysis.Result scores = ScoresAnalysis.run(folder);
        ScoresCommand.print(scores, out);
        for (ScoresAnalysis.Detection d : scores.detections()) {
            table.put("AUROC " + d.score(), String.format(Locale.ROOT, "%.4f", d.auroc()));
        }
        for (Step step : ANALYSES) {
            out.println();
            out.println("[demo] " + step.name());
            out.flush();
            table.putAll(step.run(folder, out, runtime));
        }

        Path report = ReportWriter.write(folder);
        out.println();
        out.println("[demo] summary");
        int w = 0;
        for (String k : table.keySet()) w = Math.max(w, k.length());
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> e : table.entrySet()) {
            lines.add(String.format(Locale.ROOT, "  %-" + w + "s  %s", e.getKey(), e.getValue()));
        }
        lines.forEach(out::println);
        out.println("report: " + report.toAbsolutePath());
        out.printf(Locale.ROOT, "total wall time: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
