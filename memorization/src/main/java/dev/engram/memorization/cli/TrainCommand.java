package dev.engram.memorization.cli;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.memorization.train.TrainingEstimate;
import dev.engram.memorization.analysis.PlainTask;
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

    @Option(names = "--run", paramLabel = "DIR", converter = RunFolderOption.class, required = true,
            description = "New (or empty) run folder; with --resume, the run to continue.")
    Path run;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file, YAML (.yaml/.yml) or JSON (.json), with the keys of a run's config.json"
                    + " (any run's config.json is a valid input); keys it leaves out come from --preset, options given"
                    + " on the command line override it; own-dataset paths are relative to the file's folder.")
    Path configFile;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "paper",
            description = "Starting configuration: paper (docs/methods.md §1.5 recipe), demo (small MLP on 4,000 MNIST examples) or"
                    + " repro-cpu (REPRODUCTION.md CPU tier: ResNet-9 at width 0.25 on 10,000 MNIST examples)."
                    + " Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10 or svhn (paper preset default: mnist),"
            + " or your own data: folder:PATH (one sub-folder of PNG/JPEG images per class, optionally under train/ and"
            + " test/ or val/) or npy:PATH (a folder with x.npy and y.npy, or an .npz with entries x and y).")
    String dataset;

    @Mixin
    OwnDataOptions ownData = new OwnDataOptions();

    @Option(names = "--model", description = "mlp, cnn (alias small-cnn), resnet9, resnet9-wF (width factor F, e.g. resnet9-w0.25),"
            + " resnet9-dawn, resnet50, resnet50-cifar, vit or vit-tiny (paper preset default: resnet9); or"
            + " class:com.example.MyNet, a class on the class path meeting the model contract (docs/model-contract.md).")
    String model;

    @Option(names = "--noise", paramLabel = "FRACTION", description = "Fraction of training labels to corrupt, in [0, 1];"
            + " 1 = random labels (every label corrupted).")
    Double noise;

    @Option(names = "--corrupt-inputs", paramLabel = "KIND", description = "Corrupt the training and test images (Zhang et"
            + " al. 2017, docs/methods.md §8.10): none, shuffled-pixels (one fixed pixel permutation for every image),"
            + " random-pixels (a permutation per image) or gaussian (noise with the data's mean and variance); from the"
            + " seed.")
    String corruptInputs;

    @Option(names = "--track-weight-norms", description = "Record every layer group's weight norm before every optimizer"
            + " step into analyses/training/weight-norms.csv, charted beside the training accuracy (docs/methods.md"
            + " §8.14).")
    Boolean trackWeightNorms;

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

    @Option(names = "--momentum", description = "SGD momentum (adamw ignores it; its betas are 0.9, 0.999).")
    Double momentum;

    @Option(names = "--weight-decay", description = "Weight decay: coupled L2 with --optimizer sgd, decoupled with adamw.")
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

    @Option(names = "--dry-run", description = "Check the options and the data, time a few training steps, print the"
            + " estimated time of the whole run, and exit without writing anything.")
    boolean dryRun;

    /**
     * The configuration these options describe.
     *
     * @throws UsageException when an option, or the configuration file, gives a value a configuration cannot have
     *                        (naming the option or the file that gave it)
     */
    ExperimentConfig config() {
        try {
            return buildConfig();
        } catch (ExperimentConfig.InvalidField e) {
            String option = optionOf(e.field());
            if (option != null) {
                String value = e.value() instanceof String s ? s : String.valueOf(e.value());
                if (option.equals("--model") && model != null) value = model.trim();
                throw new UsageException(option + " " + value + ": " + e.problem(), e);
            }
            throw new UsageException(configFile != null ? configFile + ": " + e.getMessage() : e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /** The command-line option, when one was given, that set configuration field {@code field}; else null. */
    private String optionOf(String field) {
        return switch (field) {
            case "dataset" -> dataset != null ? "--dataset" : null;
            case "model" -> model != null ? "--model" : null;
            case "noiseFraction" -> noise != null ? "--noise" : null;
            case "inputCorruption" -> corruptInputs != null ? "--corrupt-inputs" : null;
            case "epochs" -> epochs != null ? "--epochs" : null;
            case "batchSize" -> batchSize != null ? "--batch-size" : null;
            case "optimizer" -> optimizer != null ? "--optimizer" : null;
            case "peakLr" -> lr != null ? "--lr" : null;
            case "momentum" -> momentum != null ? "--momentum" : null;
            case "weightDecay" -> weightDecay != null ? "--weight-decay" : null;
            case "schedule" -> schedule != null ? "--schedule" : null;
            case "trainSubset" -> subset != null ? "--examples" : null;
            case "imageSize", "testFraction" -> ownData.optionFor(field);
            case "device" -> given("--device") ? "--device" : null;
            case "threads" -> given("--threads") ? "--threads" : null;
            default -> null;
        };
    }

    private ExperimentConfig buildConfig() {
        java.util.Map<String, Object> file;
        try {
            file = configFile == null ? java.util.Map.of()
                    : new java.util.LinkedHashMap<>(dev.engram.memorization.io.StructuredFile.read(configFile));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + configFile + ": " + e.getMessage(), e);
        }
        if (file.get("dataset") instanceof String d) {
            Path dir = configFile.toAbsolutePath().getParent();
            file.put("dataset", ExperimentConfig.datasetSpec(d, dir));
        }
        String presetDataset = dataset != null ? datasetSpec(dataset)
                : file.get("dataset") instanceof String d ? d : "mnist";
        String presetModel = model != null ? modelName(model) : file.get("model") instanceof String m ? modelName(m) : "resnet9";
        if (!ExperimentConfig.PRESETS.contains(preset == null ? "" : lower(preset))) {
            throw new UsageException("--preset: unknown preset '" + preset + "'; expected one of " + ExperimentConfig.PRESETS);
        }
        ExperimentConfig base = ExperimentConfig.preset(preset, presetDataset, presetModel);
        base = base.toBuilder().device(runtime.device().toString(), runtime.threads()).build();
        if (!file.isEmpty()) base = base.withValues(file, configFile.toString());
        ExperimentConfig.Builder c = base.toBuilder();
        boolean deviceGiven = given("--device"), threadsGiven = given("--threads");
        if (deviceGiven || threadsGiven) {
            c.device(deviceGiven ? runtime.device().toString() : base.device(), threadsGiven ? runtime.threads() : base.threads());
        }
        if (dataset != null) c.dataset(datasetSpec(dataset));
        ownData.apply(c);
        if (model != null) c.model(modelName(model));
        if (noise != null) c.noiseFraction(noise);
        if (corruptInputs != null) c.inputCorruption(lower(corruptInputs));
        if (trackWeightNorms != null) c.trackWeightNorms(trackWeightNorms);
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
        return ExperimentConfig.datasetSpec(s, Path.of(""));
    }

    /** A model name as given: built-in names are case-insensitive, a {@code class:} name keeps its case. */
    static String modelName(String s) {
        return dev.engram.nn.models.ModelContract.isClassName(s) ? s.trim() : lower(s);
    }

    private boolean given(String option) {
        return spec != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private static String lower(String s) {
        return s.trim().toLowerCase(Locale.ROOT);
    }

    @Override
    public Integer call() throws Exception {
        ExperimentConfig cfg = resume ? null : config();
        if (cfg != null) { // a config file's device and threads, unless given on the command line
            runtime.device = cfg.device();
            runtime.threads = cfg.threads();
        }
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        if (cfg != null) ownData.check(cfg.dataset());
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
                throw new UsageException("--resume continues the run with its own config.json; remove " + given);
            }
            if (!java.nio.file.Files.isRegularFile(run.resolve(dev.engram.memorization.run.RunFolder.CONFIG))
                    && java.nio.file.Files.isDirectory(run)) {
                dev.engram.memorization.run.RunFolder.open(run); // names the missing config.json
            }
            resumeRun(run, offline, gradAccounting, out);
        } else if (dryRun) {
            if (java.nio.file.Files.exists(run.resolve(RunFolder.CONFIG))) {
                out.println("note: " + run + " already holds a run; a real `train` into it would be refused");
            }
            TrainTest data = DataSource.catalog(AnalysisCommand.fetchOptions(offline, out)).load(cfg);
            out.printf(Locale.ROOT, "dry run: %s on %s (%d examples), %d epochs; nothing written%n", cfg.model(),
                    cfg.dataset(), cfg.trainSubset() > 0 ? cfg.trainSubset() : data.train().size(), cfg.epochs());
            printEstimate(cfg, data, gradAccounting, out);
        } else {
            trainRun(cfg, run, offline, gradAccounting, out, commandLine(spec));
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
        return trainRun(cfg, dir, offline, gradAccounting, out, cmd, e -> { });
    }

    /** As {@link #trainRun(ExperimentConfig, Path, boolean, boolean, PrintWriter, List)}, handing on the estimate. */
    static RunData trainRun(ExperimentConfig cfg, Path dir, boolean offline, boolean gradAccounting, PrintWriter out,
                            List<String> cmd, java.util.function.Consumer<TrainingEstimate> onEstimate) throws Exception {
        if (java.nio.file.Files.exists(dir.resolve(RunFolder.CONFIG))) {
            throw new IllegalArgumentException("run folder " + dir + " already holds a run (" + dir.resolve(RunFolder.CONFIG)
                    + "); continue it with `engram train --run " + dir + " --resume` or choose a new folder");
        }
        List<Path> ownLeftovers = RunFolder.requireCreatable(dir); // before the data is loaded and the steps are timed
        TrainTest data = DataSource.catalog(AnalysisCommand.fetchOptions(offline, out)).load(cfg);
        String empty = emptyClasses(data.train());
        if (empty != null) out.println("warning: " + empty);
        onEstimate.accept(printEstimate(cfg, data, gradAccounting, out));
        boolean existed = java.nio.file.Files.isDirectory(dir);
        java.util.Set<Path> keep = new java.util.HashSet<>(topLevelEntries(dir)); // what a failure must not remove
        keep.removeAll(ownLeftovers);
        RunData run;
        RunLock lock = RunLock.acquire(dir, String.join(" ", cmd));
        try {
            RunFolder folder = TrainingRun.create(dir, cfg, data.train(), cmd);
            RunData.writeExampleSources(dir, cfg, data, cfg.trainSubset());
            run = RunData.of(folder, DataSource.of(data));
            header(folder, out);
            TrainingRun.train(run, options(cfg, gradAccounting, out));
        } catch (Exception | Error e) {
            if (dev.engram.nn.io.Checkpoint.epochs(dir.resolve(RunFolder.CHECKPOINTS)).stream().noneMatch(x -> x > 0)) {
                lock.close();
                removeRun(dir, existed, keep);
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

    /**
     * Checks that the model builds for the data, times a few steps ({@link TrainingEstimate}) and prints the estimate
     * of the whole run; writes nothing.
     */
    static TrainingEstimate printEstimate(ExperimentConfig cfg, TrainTest data, boolean gradAccounting, PrintWriter out) {
        dev.engram.nn.Module probe = RunData.createModel(cfg, cfg.trainSubset() > 0
                ? UsageException.validate("--examples", () -> RunData.firstN(data.train(), cfg.trainSubset(), "--examples"))
                : data.train());
        var groups = ((dev.engram.nn.models.HasLayerGroups) probe).layerGroups().keySet();
        for (String g : cfg.methods().reinitGroups()) {
            if (!groups.contains(g)) {
                throw new UsageException("--reinit: unknown layer group '" + g + "'; " + cfg.model() + " has " + groups);
            }
        }
        TrainingEstimate est = TrainingEstimate.measure(cfg, data.train(), data.test(), TrainingEstimate.DEFAULT_STEPS);
        out.println(est.describe() + (gradAccounting
                ? "; gradient accounting during training (two more backward passes per step) is not included" : ""));
        out.flush();
        return est;
    }

    /**
     * Removes what a failed training wrote in {@code dir}: the whole folder when it did not exist before, else every
     * entry but those in {@code keep}, so nothing this command or an earlier interrupted one did not create is deleted.
     */
    private static void removeRun(Path dir, boolean existed, java.util.Set<Path> keep) throws java.io.IOException {
        if (!existed) {
            RunFolder.deleteTree(dir);
            return;
        }
        for (Path p : topLevelEntries(dir)) {
            if (!keep.contains(p)) RunFolder.deleteTree(p);
        }
    }

    private static java.util.Set<Path> topLevelEntries(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(dir)) return java.util.Set.of();
        try (var s = java.nio.file.Files.list(dir)) {
            return s.collect(java.util.stream.Collectors.toSet());
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
        TrainingRun.resume(run, options(folder.config(), accounting, out));
        footer(folder, accounting, out);
        return run;
    }

    private static TrainingRun.Options options(ExperimentConfig cfg, boolean gradAccounting, PrintWriter out) {
        int epochs = cfg.epochs();
        double[] epochSeconds = {0, 0}; // sum and count of trained epochs' wall times
        return new TrainingRun.Options(gradAccounting, ProgressMode.AUTO,
                s -> {
                    if (s.epoch() > 0) {
                        epochSeconds[0] += s.seconds();
                        epochSeconds[1]++;
                    }
                    String eta = s.epoch() >= epochs ? "done" : epochSeconds[1] == 0 ? "" : PlainTask.duration(
                            epochSeconds[0] / epochSeconds[1] * (epochs - s.epoch()));
                    out.printf(Locale.ROOT, "%5d %9s %10s %10s %10s %9.4f %8.1f %8s%n", s.epoch(),
                            dev.engram.nn.train.LearningRates.format(s.learningRate()),
                            s.epoch() == 0 ? "(no step)" : String.format(Locale.ROOT, "%.4f", s.trainLoss()),
                            accuracy(s.cleanAccuracy()), accuracy(s.noisyAccuracy()), s.testAccuracy(), s.seconds(), eta);
                    out.flush();
                });
    }

    /**
     * A note on the classes with no training example, or null when every class has one: the model still gets an output
     * for each (an own dataset's class count is its largest label + 1, so one stray label, or a sentinel such as 255,
     * adds classes).
     */
    static String emptyClasses(dev.engram.datasets.Dataset train) {
        int k = train.numClasses();
        int[] count = new int[k];
        for (int y : train.labels()) if (y >= 0 && y < k) count[y]++;
        List<Integer> none = new java.util.ArrayList<>();
        for (int c = 0; c < k; c++) if (count[c] == 0) none.add(c);
        if (none.isEmpty()) return null;
        String which = none.size() <= 10 ? none.toString() : none.subList(0, 10) + " … (" + none.size() + " in all)";
        return none.size() + " of the " + k + " classes have no training example: " + which + " (the model has an output"
                + " for each class 0.." + (k - 1) + "; check the labels if that is not intended)";
    }

    /** An accuracy with four decimals, or {@code n/a} when there is nothing to measure (no clean or no noisy example). */
    static String accuracy(double a) {
        return Double.isFinite(a) ? String.format(Locale.ROOT, "%.4f", a) : "n/a";
    }

    private static void header(RunFolder folder, PrintWriter out) {
        ExperimentConfig cfg = folder.config();
        out.printf(Locale.ROOT, "run %s: %s on %s (%d examples, %d noisy), %d epochs%n", folder.dir(), cfg.model(),
                cfg.dataset(), folder.noise().size(), folder.noise().noisyCount(), cfg.epochs());
        out.println("epoch      lr   train-loss  clean-acc  noisy-acc  test-acc   seconds  time-left");
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
