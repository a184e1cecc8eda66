package dev.engram.memorization.cli;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.etd.TrainLoop;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.scores.RunInputs;
import dev.engram.nn.Module;
import dev.engram.nn.models.HasTaps;
import dev.engram.nn.models.ResNet9;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code engram etd --run DIR}: trains models with example-tied dropout (and the baselines) on the run's noisy labels
 * and writes {@code analyses/etd/}. A missing run folder is created with the options given (a small MNIST MLP
 * preset by default); an existing one supplies dataset, model, noise, seed and training recipe from its config.
 */
@Command(name = "etd", mixinStandardHelpOptions = true,
        description = "Example-tied dropout (spec §6): train with per-example memorization units, then drop them and"
                + " report clean-train, noisy-train and test accuracy before and after, beside standard dropout and"
                + " a fixed sparse mask. Writes analyses/etd/.")
public final class EtdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--run", paramLabel = "DIR", required = true,
            description = "Run folder; created (with the options below) when it does not exist.")
    Path run;

    @Option(names = "--dataset", defaultValue = "mnist", description = "New runs: dataset (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--model", defaultValue = "mlp",
            description = "New runs: mlp (ETD after each hidden layer), small-cnn (after both convs and the hidden fc) or"
                    + " resnet9 (the paper's six positions) (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--noise", defaultValue = "0.1", description = "New runs: label-noise fraction (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--train-subset", defaultValue = "4000",
            description = "New runs: first N training examples, 0 = all (default: ${DEFAULT-VALUE}).")
    int trainSubset;

    @Option(names = "--epochs", defaultValue = "40", description = "New runs: epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "New runs: batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.05", description = "New runs: peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--seed", defaultValue = "4", description = "New runs: seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--grid", defaultValue = "0.2:0.1", split = ",", paramLabel = "PGEN:PMEM",
            description = "(pGen:pMem) pairs for example-tied dropout, comma separated (default: ${DEFAULT-VALUE};"
                    + " the reference code's defaults).")
    List<String> grid;

    @Option(names = "--methods", defaultValue = "ETD,STANDARD_DROPOUT,FIXED_MASK", split = ",",
            description = "Methods: ETD, STANDARD_DROPOUT, FIXED_MASK, NONE (default: ${DEFAULT-VALUE}).")
    List<ExampleTiedDropoutExperiment.Method> methods;

    @Option(names = "--baseline-p", defaultValue = "NaN",
            description = "Drop probability of the baselines; default pGen of the first grid pair, as the reference code.")
    double baselineP;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        FetchOptions fetch = FetchOptions.defaults();
        RunFolder folder;
        if (Files.isRegularFile(run.resolve(RunFolder.CONFIG))) {
            folder = RunFolder.open(run);
        } else {
            ExperimentConfig cfg = new ExperimentConfig(dataset, model, noise, seed, epochs, batchSize, "sgd", lr, 0.9, 0.0,
                    "warmup-cosine", 0.1, false, trainSubset, runtime.device, runtime.threads());
            TrainTest tt = RunInputs.dataset(dataset, fetch);
            Dataset train = RunInputs.firstN(tt.train(), trainSubset == 0 ? tt.train().size() : trainSubset, "--train-subset");
            NoisyLabels nl = LabelNoise.corrupt(train, noise, seed);
            folder = RunFolder.create(run, cfg, nl, Provenance.capture(commandLine(), List.of(seed)));
            out.println("created run " + run);
        }
        folder.requireNoisy("Example-tied dropout");
        ExperimentConfig cfg = folder.config();
        RunInputs.Data data = RunInputs.load(folder, fetch);
        List<double[]> pairs = new ArrayList<>();
        for (String g : grid) {
            String[] p = g.split(":");
            if (p.length != 2) throw new IllegalArgumentException("--grid entry '" + g + "' must be PGEN:PMEM, e.g. 0.2:0.1");
            pairs.add(new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1])});
        }
        var settings = new ExampleTiedDropoutExperiment.Settings(pairs, methods, baselineP, cfg.seed(),
                new TrainLoop.Settings(cfg.epochs(), cfg.batchSize(), cfg.peakLr(), cfg.momentum(), cfg.weightDecay(), cfg.seed()),
                cfg.seed(), 500);
        var shape = data.train();
        List<String> taps = taps(RunInputs.model(cfg.model(), shape.channels(), shape.height(), shape.numClasses(), 0));
        out.println("example-tied dropout at taps " + taps + " of " + cfg.model() + ", " + shape.size() + " training examples ("
                + shape.noisyCount() + " noisy), " + cfg.epochs() + " epochs");
        out.flush();
        var outcomes = ExampleTiedDropoutExperiment.run(
                () -> RunInputs.model(cfg.model(), shape.channels(), shape.height(), shape.numClasses(), cfg.seed()),
                taps, data.train(), data.test(), settings, line -> {
                    out.println(line);
                    out.flush();
                });
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("dataset", cfg.dataset());
        ctx.put("model", cfg.model());
        ctx.put("taps", taps);
        ctx.put("trainExamples", shape.size());
        ctx.put("noisyExamples", shape.noisyCount());
        Path dir = folder.analysisDir(AnalysisKind.ETD.dirName());
        ExampleTiedDropoutExperiment.write(outcomes, settings, ctx, dir);
        out.println("wrote " + dir);
        out.flush();
        return 0;
    }

    /** ETD positions: the paper's six for ResNet-9, every tap otherwise. */
    static List<String> taps(Module m) {
        if (m instanceof ResNet9) return ResNet9.ETD_TAPS;
        if (m instanceof HasTaps h) return h.tapNames();
        throw new IllegalArgumentException(m.getClass().getSimpleName() + " has no taps for example-tied dropout");
    }

    private List<String> commandLine() {
        List<String> l = new ArrayList<>(List.of("engram", "etd"));
        l.addAll(Arrays.asList(spec.commandLine().getParseResult().originalArgs().toArray(new String[0])));
        return l;
    }
}
