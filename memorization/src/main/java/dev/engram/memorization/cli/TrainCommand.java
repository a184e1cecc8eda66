package dev.engram.memorization.cli;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.memorization.run.RunLock;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.train.ProgressMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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
            description = "Starting configuration: paper (docs/methods.md §1.5 recipe), demo (small MLP on 4,000 MNIST examples) or"
                    + " repro-cpu (REPRODUCTION.md CPU tier: ResNet-9 at width 0.25 on 10,000 MNIST examples)."
                    + " Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10 or svhn (paper preset default: mnist),"
            + " or your own data: folder:PATH (one sub-folder of PNG/JPEG images per class, optionally under train/ and"
            + " test/) or npy:PATH (a folder with x.npy and y.npy, or an .npz with entries x and y).")
    String dataset;

    @Option(names = "--image-size", paramLabel = "HxW", description = "Resize the images of a folder: dataset to HxW"
            + " (bilinear); default: keep the files' size (which must then all be equal).")
    String imageSize;

    @Option(names = "--test-fraction", paramLabel = "F", description = "Fraction of an own dataset held out as its"
            + " test set when it has no test part (fixed seeded split; default 0.2).")
    Double testFraction;

    @Option(names = "--model", description = "mlp, cnn (alias small-cnn), resnet9, resnet9-wF (width factor F, e.g. resnet9-w0.25),"
            + " resnet9-dawn, resnet50, resnet50-cifar, vit or vit-tiny (paper preset default: resnet9); or"
            + " class:com.example.MyNet, a class on the class path meeting the model contract (docs/model-contract.md).")
    String model;

    @Option(names = "--noise", paramLabel = "FRACTION", description = "Fraction of training labels to corrupt.")
    Double noise;

    @Option(names = "--seed", description = "Seed of noise, initialisation and shuffling.")
    Long seed;

    @Option(names = "--epochs", description = "Training epochs.")
    Integer epochs;

    @Mixin
    MethodOptions methods = new MethodOptions();

    @Option(names = "--optimizer", paramLabel = "sgd|adamw", description = "sgd (momentum, coupled weight decay) or adamw"
            + " (decoupled weight decay).")
    String optimizer;

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

    @Option(names = {"--examples", "--subset"}, paramLabel = "N",
            description = "Use only the first N training examples (0 = all).")
    Integer subset;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Option(names = "--resume", description = "Continue an interrupted run in --run from its latest checkpoint (the"
            + " configuration is the run's config.json; configuration options are not allowed).")
    boolean resume;

    @Option(names = "--grad-accounting", description = "Gradient accounting during training (docs/methods.md §2): clean/noisy"
            + " gradient norms and cosines per layer and per-example gradient norms, into analyses/grad-accounting/"
            + " (three backward passes per batch instead of one).")
    boolean gradAccounting;

    /** The configuration these options describe. */
    ExperimentConfig config() {
        ExperimentConfig base = switch (lower(preset)) {
            case "paper" -> ExperimentConfig.paper(dataset == null ? "mnist" : datasetSpec(dataset), model == null ? "resnet9" : modelName(model));
            case "demo" -> ExperimentConfig.cpuDemo();
            case "repro-cpu" -> ExperimentConfig.reproCpu();
            default -> throw new IllegalArgumentException("unknown --preset '" + preset + "' (paper, demo or repro-cpu)");
        };
        ExperimentConfig.Builder c = base.toBuilder().device(runtime.device().toString(), runtime.threads());
        if (dataset != null) c.dataset(datasetSpec(dataset));
        if (imageSize != null) c.imageSize(imageSize.trim().toLowerCase(Locale.ROOT));
        if (testFraction != null) c.testFraction(testFraction);
        if (model != null) c.model(modelName(model));
        if (noise != null) c.noiseFraction(noise);
        if (seed != null) c.seed(seed);
        if (epochs != null) c.epochs(epochs);
        if (batchSize != null) c.batchSize(batchSize);
        if (lr != null) c.peakLr(lr);
        if (momentum != null) c.momentum(momentum);
        if (weightDecay != null) c.weightDecay(weightDecay);
        if (schedule != null) c.schedule(lower(schedule));
        if (augment != null) c.augmentation(augment);
        if (subset != null) c.trainSubset(subset);
        if (optimizer != null) c.optimizer(lower(optimizer));
        if (methods.any()) c.methods(methods.apply(base.methods(), noise != null ? noise : base.noiseFraction()));
        return c.build();
    }

    /**
     * A built-in dataset name in lower case, or an own dataset's {@code folder:PATH} / {@code npy:PATH} with PATH made
     * absolute (so that analyses run from another working folder find the data; a leading {@code ~} is the home
     * folder) and its case kept.
     */
    static String datasetSpec(String s) {
        String t = s.trim();
        int colon = t.indexOf(':');
        if (colon > 1) { // not a Windows drive letter
            String prefix = lower(t.substring(0, colon + 1));
            String path = t.substring(colon + 1);
            if ((prefix.equals(ExperimentConfig.FOLDER_PREFIX) || prefix.equals(ExperimentConfig.NPY_PREFIX))
                    && !path.isBlank()) {
                if (path.equals("~") || path.startsWith("~/")) { // the shell does not expand ~ after folder:
                    path = System.getProperty("user.home") + path.substring(1);
                }
                return prefix + Path.of(path).toAbsolutePath().normalize();
            }
        }
        return lower(t);
    }

    /** A model name as given: built-in names are case-insensitive, a {@code class:} name keeps its case. */
    static String modelName(String s) {
        return dev.engram.nn.models.ModelContract.isClassName(s) ? s.trim() : lower(s);
    }

    private static String lower(String s) {
        return s.trim().toLowerCase(Locale.ROOT);
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
            if (!java.nio.file.Files.isRegularFile(run.resolve(dev.engram.memorization.run.RunFolder.CONFIG))
                    && java.nio.file.Files.isDirectory(run)) {
                dev.engram.memorization.run.RunFolder.open(run); // names the missing config.json
            }
            resumeRun(run, offline, gradAccounting, out);
        } else {
            trainRun(config(), run, offline, gradAccounting, out, commandLine(spec));
        }
        return 0;
    }

    /**
     * Validates the configuration against the data (dataset present, enough examples, the model builds for its image
     * shape), then creates the run folder and trains; prints one line per epoch. Nothing is written before the checks
     * pass, and a training that fails before its first epoch is complete removes the folder it created.
     */
    static RunData trainRun(ExperimentConfig cfg, Path dir, boolean offline, boolean gradAccounting, PrintWriter out,
                            List<String> cmd) throws Exception {
        if (java.nio.file.Files.exists(dir.resolve(RunFolder.CONFIG))) {
            throw new IllegalArgumentException("run folder " + dir + " already holds a run (" + dir.resolve(RunFolder.CONFIG)
                    + "); continue it with `engram train --run " + dir + " --resume` or choose a new folder");
        }
        TrainTest data = DataSource.catalog(AnalysisCommand.fetchOptions(offline, out)).load(cfg);
        dev.engram.nn.Module probe = RunData.createModel(cfg, cfg.trainSubset() > 0
                ? RunData.firstN(data.train(), cfg.trainSubset(), "--examples") : data.train());
        var groups = ((dev.engram.nn.models.HasLayerGroups) probe).layerGroups().keySet();
        for (String g : cfg.methods().reinitGroups()) {
            if (!groups.contains(g)) throw new IllegalArgumentException("--reinit: unknown layer group '" + g + "'; " + cfg.model() + " has " + groups);
        }
        boolean existed = java.nio.file.Files.isDirectory(dir);
        RunData run;
        RunLock lock = RunLock.acquire(dir, String.join(" ", cmd));
        try {
            RunFolder folder = TrainingRun.create(dir, cfg, data.train(), cmd);
            run = RunData.of(folder, DataSource.of(data));
            header(folder, out);
            TrainingRun.train(run, options(gradAccounting, out));
        } catch (Exception | Error e) {
            if (dev.engram.nn.io.Checkpoint.epochs(dir.resolve(RunFolder.CHECKPOINTS)).stream().noneMatch(x -> x > 0)) {
                lock.close();
                removeRun(dir, existed);
                out.println("training failed before its first epoch; removed what it wrote in " + dir);
                out.flush();
            }
            throw e;
        } finally {
            lock.close();
        }
        RunFolder folder = run.run();
        footer(folder, gradAccounting, out);
        return run;
    }

    private static void removeRun(Path dir, boolean keepFolder) throws java.io.IOException {
        try (var s = java.nio.file.Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!(keepFolder && p.equals(dir))) java.nio.file.Files.deleteIfExists(p);
            }
        }
    }

    /** Opens an interrupted run and trains its remaining epochs. */
    static RunData resumeRun(Path dir, boolean offline, boolean gradAccounting, PrintWriter out) throws Exception {
        RunData run = AnalysisCommand.open(dir, offline, out);
        RunFolder folder = run.run();
        run.train(); // load the data before printing anything
        header(folder, out);
        out.println("resuming from the latest checkpoint in " + folder.checkpointsDir());
        out.flush();
        boolean accounting = gradAccounting || java.nio.file.Files.isDirectory(
                GradientAccounting.recordsDir(folder, EpochAccount.DURING_TRAINING));
        TrainingRun.resume(run, options(accounting, out));
        footer(folder, accounting, out);
        return run;
    }

    private static TrainingRun.Options options(boolean gradAccounting, PrintWriter out) {
        return new TrainingRun.Options(gradAccounting, System.console() != null ? ProgressMode.BAR : ProgressMode.NONE,
                s -> {
                    out.printf(Locale.ROOT, "%5d %9s %10s %10.4f %10.4f %9.4f %8.1f%n", s.epoch(),
                            dev.engram.nn.train.LearningRates.format(s.learningRate()),
                            s.epoch() == 0 ? "(no step)" : String.format(Locale.ROOT, "%.4f", s.trainLoss()),
                            s.cleanAccuracy(), s.noisyAccuracy(), s.testAccuracy(), s.seconds());
                    out.flush();
                });
    }

    private static void header(RunFolder folder, PrintWriter out) {
        ExperimentConfig cfg = folder.config();
        out.printf(Locale.ROOT, "run %s: %s on %s (%d examples, %d noisy), %d epochs%n", folder.dir(), cfg.model(),
                cfg.dataset(), folder.noise().size(), folder.noise().noisyCount(), cfg.epochs());
        out.println("epoch      lr   train-loss  clean-acc  noisy-acc  test-acc   seconds");
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
