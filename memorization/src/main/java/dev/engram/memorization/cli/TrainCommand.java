package dev.engram.memorization.cli;

import dev.engram.datasets.DownloadListener;
import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.experiment.TrainingRun;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.train.ProgressMode;
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
 * {@code engram train --run DIR …}: creates a run folder, corrupts the training labels and trains the model on the nn
 * trainer, keeping a checkpoint per epoch and the per-example evaluations that the analyses read;
 * {@code --grad-accounting} adds gradient accounting during training; {@code engram train --run DIR --resume}
 * continues an interrupted run from its latest checkpoint.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on noisy labels into a new run folder (checkpoint per epoch, per-example"
                + " accuracy/loss/margin per epoch, training curves), optionally with gradient accounting;"
                + " --resume continues an interrupted run.")
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", required = true,
            description = "New (or empty) run folder; with --resume, the run to continue.")
    Path run;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "paper",
            description = "Starting configuration: paper (spec §1.5 recipe) or demo (small MLP on 4,000 MNIST examples)."
                    + " Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10 or svhn (paper preset default: mnist).")
    String dataset;

    @Option(names = "--model", description = "mlp, cnn (alias small-cnn), resnet9, resnet9-dawn, resnet50, resnet50-cifar,"
            + " vit or vit-tiny (paper preset default: resnet9).")
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

    @Option(names = "--resume", description = "Continue an interrupted run in --run from its latest checkpoint (the"
            + " configuration is the run's config.json; configuration options are not allowed).")
    boolean resume;

    @Option(names = "--grad-accounting", description = "Gradient accounting during training (spec §2): clean/noisy"
            + " gradient norms and cosines per layer and per-example gradient norms, into analyses/grad-accounting/"
            + " (three backward passes per batch instead of one).")
    boolean gradAccounting;

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
        PrintWriter out = spec.commandLine().getOut();
        if (resume) {
            List<String> given = new ArrayList<>();
            for (var o : spec.commandLine().getParseResult().matchedOptions()) {
                String n = o.longestName();
                if (!List.of("--run", "--resume", "--offline", "--grad-accounting", "--device", "--threads",
                        "--stacktrace").contains(n)) {
                    given.add(n);
                }
            }
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("--resume continues the run with its own config.json; remove " + given);
            }
            resumeRun(run, offline, gradAccounting, out);
        } else {
            trainRun(config(), run, offline, gradAccounting, out, commandLine(spec));
        }
        return 0;
    }

    /** Fetch options that print the dataset module's messages. */
    static FetchOptions fetchOptions(boolean offline, PrintWriter out) {
        return FetchOptions.defaults().withOffline(offline).withListener(new DownloadListener() {
            @Override public void progress(String file, long bytes, long total) { }

            @Override public void message(String text) {
                out.println(text);
                out.flush();
            }
        });
    }

    /** Loads the data, creates the run folder and trains; prints one line per epoch. */
    static RunFolder trainRun(ExperimentConfig cfg, Path dir, boolean offline, boolean gradAccounting, PrintWriter out,
                              List<String> cmd) throws Exception {
        ExperimentData data = ExperimentData.load(cfg, fetchOptions(offline, out));
        RunFolder folder = TrainingRun.create(dir, cfg, data.train(), cmd);
        header(folder, out);
        TrainingRun.train(folder, data.train(), data.test(), options(gradAccounting, out));
        footer(folder, gradAccounting, out);
        return folder;
    }

    /** Opens an interrupted run and trains its remaining epochs. */
    static RunFolder resumeRun(Path dir, boolean offline, boolean gradAccounting, PrintWriter out) throws Exception {
        RunFolder folder = RunFolder.open(dir);
        ExperimentData data = ExperimentData.load(folder.config(), fetchOptions(offline, out));
        header(folder, out);
        out.println("resuming from the latest checkpoint in " + folder.checkpointsDir());
        out.flush();
        boolean accounting = gradAccounting || java.nio.file.Files.isDirectory(
                GradientAccounting.recordsDir(folder, EpochAccount.DURING_TRAINING));
        TrainingRun.resume(folder, data.train(), data.test(), options(accounting, out));
        footer(folder, accounting, out);
        return folder;
    }

    private static TrainingRun.Options options(boolean gradAccounting, PrintWriter out) {
        return TrainingRun.Options.defaults().withGradAccounting(gradAccounting)
                .withProgress(System.console() != null ? ProgressMode.BAR : ProgressMode.NONE)
                .withListener(s -> {
                    out.printf(Locale.ROOT, "%5d %8.5f %10.4f %10.4f %10.4f %9.4f %8.1f%n", s.epoch(), s.learningRate(),
                            s.trainLoss(), s.cleanAccuracy(), s.noisyAccuracy(), s.testAccuracy(), s.seconds());
                    out.flush();
                });
    }

    private static void header(RunFolder folder, PrintWriter out) {
        ExperimentConfig cfg = folder.config();
        out.printf(Locale.ROOT, "run %s: %s on %s (%d examples, %d noisy), %d epochs%n", folder.dir(), cfg.model(),
                cfg.dataset(), folder.noise().size(), folder.noise().noisyCount(), cfg.epochs());
        out.println("epoch     lr   train-loss  clean-acc  noisy-acc  test-acc   seconds");
        out.flush();
    }

    private static void footer(RunFolder folder, boolean gradAccounting, PrintWriter out) throws Exception {
        out.println("checkpoints: " + folder.checkpointsDir());
        if (gradAccounting && folder.hasResults(GradientAccounting.NAME)) {
            out.println("gradient accounting: " + folder.analysisPath(GradientAccounting.NAME));
        } else if (gradAccounting) {
            out.println("gradient accounting skipped: the run has no noisy examples");
        }
        out.flush();
    }

    /** The command line that invoked {@code spec}, for provenance. */
    static List<String> commandLine(CommandSpec spec) {
        List<String> cmd = new ArrayList<>();
        cmd.add("engram");
        cmd.addAll(spec.commandLine().getParseResult().originalArgs());
        return cmd;
    }
}
