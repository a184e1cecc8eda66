package dev.engram.memorization.cli;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.ConsoleProgress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.localize.GroundTruthBenchmark;
import dev.engram.memorization.localize.InjectionGroundTruth;
import dev.engram.memorization.localize.LocalizationComparison;
import dev.engram.memorization.localize.LocalizationMethods;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code engram localization-benchmark --out DIR}: for each model (default: MLP and small CNN on MNIST), a run folder
 * {@code DIR/<model>} (made on first use, reused after), a model trained with example-tied dropout, and
 * every localization method scored against both ground truths ({@link GroundTruthBenchmark}: ETD and injection);
 * prints the tables and writes them with their figures into {@code DIR/<model>/analyses/localization-benchmark/}. A model whose benchmark exists
 * is not recomputed unless {@code --force} (which still reuses the trained model when its settings match).
 */
@Command(name = "localization-benchmark", mixinStandardHelpOptions = true,
        description = "Localization methods against ground truth: trains (or reuses) MNIST models with example-tied"
                + " dropout, whose memorization units are known per example, and injects relabelled examples, each into"
                + " a fresh copy of a plainly trained model, through chosen units; prints precision/recall at the truth"
                + " size, AUROC, top-k ablation, overlap and time per target for every method, one table per model and"
                + " ground truth.")
public final class LocalizationBenchmarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder of the benchmark's runs.")
    Path out;

    @Option(names = "--models", paramLabel = "LIST", split = ",", description = "Models (default: mlp,cnn).")
    List<String> models = List.of("mlp", "cnn");

    @Option(names = "--examples", paramLabel = "N", description = "MNIST training examples (default: 3000).")
    int examples = 3000;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs of the example-tied dropout models (default: 20).")
    int epochs = 20;

    @Option(names = "--targets", paramLabel = "N", description = "Target examples per model and construction (default: 10).")
    int targets = 10;

    @Option(names = "--methods", paramLabel = "LIST", split = ",", description = "Methods (default: all).")
    List<String> methods = LocalizationMethods.NAMES;

    @Option(names = "--p-gen", paramLabel = "P", description = "Example-tied dropout generalization fraction (default: 0.2).")
    double pGen = 0.2;

    @Option(names = "--p-mem", paramLabel = "P", description = "Example-tied dropout tie probability (default: 0.1).")
    double pMem = 0.1;

    @Option(names = "--collateral", paramLabel = "N", description = "Train and test examples of the collateral-damage measurement (default: 200).")
    int collateral = 200;

    @Option(names = "--inject-units", paramLabel = "N", description = "Units per injected example, its truth set (default: 10).")
    int injectUnits = 10;

    @Option(names = "--inject-steps", paramLabel = "N", description = "Fine-tuning steps per injected example at most (default: 300).")
    int injectSteps = 300;

    @Option(names = "--inject-rate", paramLabel = "X", description = "Adam step size of the injection fine-tuning (default: 0.001).")
    double injectRate = 0.001;

    @Option(names = "--inject-units-at", paramLabel = "POOL", description = "Where an injected example's units are drawn:"
            + " last (the last hidden tap, default), random-tap (one tap drawn per example) or all (any tap).")
    String injectPool = InjectionGroundTruth.UnitPool.LAST_TAP.cliName();

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Option(names = "--force", description = "Recompute benchmarks that exist (the trained models are reused when their settings match).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter w = spec.commandLine().getOut();
        LocalizationComparison.Settings d = LocalizationComparison.Settings.DEFAULTS;
        LocalizationComparison.Settings comparison = UsageException.validate(() -> new LocalizationComparison.Settings(
                d.ks(), collateral, collateral, d.overlapK(), d.batchSize(), d.seed()));
        GroundTruthBenchmark.Options options = UsageException.validate(() -> new GroundTruthBenchmark.Options(methods,
                targets, epochs, pGen, pMem, LocalizationMethods.Settings.DEFAULTS, comparison,
                new InjectionGroundTruth.Options(methods, targets, injectUnits, injectSteps, injectRate,
                        InjectionGroundTruth.UnitPool.parse(injectPool), LocalizationMethods.Settings.DEFAULTS, comparison)));
        if (examples < 100) throw new UsageException("localization benchmark: --examples must be >= 100, got " + examples);
        for (String model : models) UsageException.validate(() -> config(model)); // every model before the first trains
        for (String model : models) {
            long t0 = System.nanoTime();
            RunData data = runFor(model, w);
            String kind = AnalysisKind.LOCALIZATION_BENCHMARK.dirName();
            Path dir = data.run().analysisPath(kind);
            if (data.run().hasResults(kind) && !force) {
                w.println(model + ": benchmark exists (recompute with --force):");
            } else {
                Analyses.execute(new GroundTruthBenchmark(), data, options, ConsoleProgress.of(w), force);
                w.printf(Locale.ROOT, "%s: benchmark took %.1f s%n", model, (System.nanoTime() - t0) * 1e-9);
            }
            w.println(model + ", ETD ground truth:");
            Files.readAllLines(dir.resolve("etd-table.txt")).forEach(w::println);
            if (Files.exists(dir.resolve("injection-table.txt"))) {
                w.println(model + ", injection ground truth:");
                Files.readAllLines(dir.resolve("injection-table.txt")).forEach(w::println);
            }
            w.println("wrote " + data.run().analysisPath(kind));
            w.flush();
        }
        return 0;
    }

    /** The configuration of {@code model}'s run. */
    private ExperimentConfig config(String model) {
        return ExperimentConfig.cpuDemo().toBuilder().model(model).trainSubset(examples).epochs(epochs).build();
    }

    /** The run folder of {@code model}: opened when it exists (its configuration must match), created otherwise. */
    private RunData runFor(String model, PrintWriter w) throws Exception {
        Path dir = out.resolve(model);
        DataSource source = DataSource.catalog(AnalysisCommand.fetchOptions(offline, w));
        ExperimentConfig cfg = config(model);
        if (Files.exists(dir.resolve(RunFolder.CONFIG))) {
            RunData data = RunData.open(dir, source);
            ExperimentConfig have = data.config();
            if (!have.model().equals(model) || have.trainSubset() != examples || have.epochs() != epochs) {
                throw new UsageException("localization benchmark: " + dir + " holds a run of " + have.model()
                        + " with " + have.trainSubset() + " examples and " + have.epochs() + " epochs, not " + model
                        + " with " + examples + " and " + epochs + "; choose another --out");
            }
            return data;
        }
        TrainTest tt = source.load(cfg);
        RunData.createModel(model, RunData.firstN(tt.train(), examples, "--examples"), cfg.seed());
        RunFolder folder = TrainingRun.create(dir, cfg, tt.train(), List.of("engram", "localization-benchmark"));
        return RunData.of(folder, DataSource.of(tt));
    }
}
