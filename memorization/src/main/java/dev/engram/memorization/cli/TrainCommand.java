package dev.engram.memorization.cli;

import dev.engram.datasets.DownloadListener;
import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.experiment.TrainingRun;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code engram train --run DIR …}: creates a run folder, corrupts the training labels and trains the model, keeping a
 * checkpoint per epoch and the per-example evaluations that the analyses read.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on noisy labels into a new run folder (checkpoint per epoch, per-example"
                + " accuracy/loss/margin per epoch, training curves).")
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "New (or empty) run folder.")
    Path run;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "paper",
            description = "Starting configuration: paper (spec §1.5 recipe) or demo (small MLP on 4,000 MNIST examples)."
                    + " Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10 or svhn (paper preset default: mnist).")
    String dataset;

    @Option(names = "--model", description = "mlp, small-cnn, resnet9, resnet50 or vit (paper preset default: resnet9).")
    String model;

    @Option(names = "--noise", paramLabel = "FRACTION", description = "Fraction of training labels to corrupt.")
    Double noise;

    @Option(names = "--seed", description = "Seed of noise, initialisation and shuffling.")
    Long seed;

    @Option(names = "--epochs", description = "Training epochs.")
    Integer epochs;

    @Option(names = "--batch-size", description = "Mini-batch size.")
    Integer batchSize;

    @Option(names = "--lr", description = "Peak learning rate.")
    Double lr;

    @Option(names = "--momentum", description = "SGD momentum.")
    Double momentum;

    @Option(names = "--weight-decay", description = "Coupled L2 weight decay.")
    Double weightDecay;

    @Option(names = "--schedule", description = "warmup-cosine, triangle or constant.")
    String schedule;

    @Option(names = "--augment", description = "Random crop + flip augmentation.")
    Boolean augment;

    @Option(names = "--subset", paramLabel = "N", description = "Use only the first N training examples (0 = all).")
    Integer subset;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    /** The configuration these options describe. */
    ExperimentConfig config() {
        ExperimentConfig base = switch (preset) {
            case "paper" -> ExperimentConfig.paper(dataset == null ? "mnist" : dataset, model == null ? "resnet9" : model);
            case "demo" -> ExperimentConfig.cpuDemo();
            default -> throw new IllegalArgumentException("unknown --preset '" + preset + "' (paper or demo)");
        };
        return new ExperimentConfig(dataset != null ? dataset : base.dataset(), model != null ? model : base.model(),
                noise != null ? noise : base.noiseFraction(), seed != null ? seed : base.seed(),
                epochs != null ? epochs : base.epochs(), batchSize != null ? batchSize : base.batchSize(),
                base.optimizer(), lr != null ? lr : base.peakLr(), momentum != null ? momentum : base.momentum(),
                weightDecay != null ? weightDecay : base.weightDecay(), schedule != null ? schedule : base.schedule(),
                base.warmupFraction(), augment != null ? augment : base.augmentation(),
                subset != null ? subset : base.trainSubset(), runtime.device().toString(), runtime.threads());
    }

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        ExperimentConfig cfg = config();
        PrintWriter out = spec.commandLine().getOut();
        trainRun(cfg, run, offline, out, commandLine(spec));
        return 0;
    }

    /** Loads the data, creates the run folder and trains; prints one line per epoch. */
    static RunFolder trainRun(ExperimentConfig cfg, Path dir, boolean offline, PrintWriter out, List<String> cmd)
            throws Exception {
        FetchOptions fo = FetchOptions.defaults().withOffline(offline).withListener(new DownloadListener() {
            @Override public void progress(String file, long bytes, long total) { }

            @Override public void message(String text) {
                out.println(text);
                out.flush();
            }
        });
        ExperimentData data = ExperimentData.load(cfg, fo);
        RunFolder folder = TrainingRun.create(dir, cfg, data.train(), cmd);
        out.printf(Locale.ROOT, "run %s: %s on %s (%d examples, %d noisy), %d epochs%n", dir, cfg.model(),
                cfg.dataset(), folder.noise().size(), folder.noise().noisyCount(), cfg.epochs());
        out.println("epoch     lr   train-loss  clean-acc  noisy-acc  test-acc   seconds");
        out.flush();
        TrainingRun.train(folder, data.train(), data.test(), s -> {
            out.printf(Locale.ROOT, "%5d %8.5f %10.4f %10.4f %10.4f %9.4f %8.1f%n", s.epoch(), s.learningRate(),
                    s.trainLoss(), s.cleanAccuracy(), s.noisyAccuracy(), s.testAccuracy(), s.seconds());
            out.flush();
        });
        out.println("checkpoints: " + folder.checkpointsDir());
        out.flush();
        return folder;
    }

    /** The command line that invoked {@code spec}, for provenance. */
    static List<String> commandLine(CommandSpec spec) {
        List<String> cmd = new ArrayList<>();
        cmd.add("engram");
        cmd.addAll(spec.commandLine().getParseResult().originalArgs());
        return cmd;
    }
}
