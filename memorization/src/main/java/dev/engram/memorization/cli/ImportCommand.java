package dev.engram.memorization.cli;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.Normalization;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunLock;
import dev.engram.memorization.train.RunImport;
import dev.engram.nn.Module;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.concurrent.Callable;

/**
 * {@code engram import --run DIR --weights FILE|DIR --dataset NAME --model NAME [--noise-file F | --noisy-indices F]}:
 * a run folder from weights trained elsewhere (PyTorch: docs/pytorch.md), for the analyses that need only
 * checkpoints. Everything is checked (weights against the model's state dict, labels against the dataset) before
 * anything is written.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Make a run folder from externally trained weights (safetensors, e.g. from PyTorch's"
                + " safetensors.torch.save_file; docs/pytorch.md): one file (the final model) or a folder of"
                + " epoch-000.safetensors … epoch-NNN.safetensors, plus the labels the model trained on. The weights"
                + " are checked against the model's state dict before anything is written. rewind, flip,"
                + " checkpoint-scores and grad-accounting then run on the folder."})
public final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", converter = RunFolderOption.class, required = true,
            description = "New (or empty) run folder.")
    Path run;

    @Option(names = "--weights", paramLabel = "FILE|DIR", required = true,
            description = "A .safetensors file (the model after --epoch), or a folder of epoch-NNN.safetensors files"
                    + " (epoch-000 = initialisation; the last one is the final model).")
    Path weights;

    @Option(names = "--dataset", paramLabel = "NAME", required = true,
            description = "Dataset the model was trained on: mnist, fashion-mnist, cifar10 or svhn, or your own folder:PATH"
                    + " or npy:PATH (as for train).")
    String dataset;

    @Option(names = "--model", paramLabel = "NAME", required = true,
            description = "Engram model whose state dict the weights must match (e.g. resnet9, mlp), or"
                    + " class:com.example.MyNet (docs/model-contract.md).")
    String model;

    static final class Labels {
        @Option(names = "--noise-file", paramLabel = "FILE",
                description = "The labels trained on, in Engram's noise.csv format (docs/pytorch.md).")
        Path noiseFile;

        @Option(names = "--noisy-indices", paramLabel = "FILE",
                description = "Rows 'index,label': the mislabeled training examples and the label each was trained on;"
                        + " the other examples keep the dataset's label.")
        Path noisyIndices;
    }

    @ArgGroup(exclusive = true)
    Labels labels;

    @Option(names = {"--examples"}, paramLabel = "N", defaultValue = "0",
            description = "The model trained on the first N training examples (0 = all, or the noise file's size).")
    int examples;

    @Option(names = "--epoch", paramLabel = "E", defaultValue = "1",
            description = "Epoch of a single weights file (default: ${DEFAULT-VALUE}).")
    int epoch;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed recorded in the configuration"
            + " (seeds the analyses' own randomness; default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--input-shape", paramLabel = "C,H,W", split = ",",
            description = "Input shape of the model; with --classes and --noise-file a built-in dataset is not read (e.g."
                    + " not downloaded yet): the analyses read it later. Own folder:/npy: data is read to check it.")
    List<Integer> inputShape;

    @Option(names = "--classes", paramLabel = "K", description = "Number of classes (with --input-shape).")
    Integer classes;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @picocli.CommandLine.Mixin
    OwnDataOptions ownData = new OwnDataOptions(); // as the weights' training read the data

    @Option(names = "--normalization", paramLabel = "paper|data|MEAN:STD", description = "Input normalization the"
            + " weights were trained with: paper (pixels/255, then (x - 0.5) / 0.5; the default for the built-in datasets),"
            + " data (per-channel mean and std of the training examples; the default for folder: and npy: data, as train"
            + " does) or MEAN:STD, one value or one per channel each, in pixel/255 units (e.g."
            + " 0.4914,0.4822,0.4465:0.2470,0.2435,0.2616). Written to the run's normalization.json; every analysis uses it.")
    String normalization;

    /** Channels, image side and classes of the built-in datasets, to check {@code --input-shape} and {@code --classes}. */
    static final java.util.Map<String, int[]> BUILT_IN_SHAPES = java.util.Map.of(
            "mnist", new int[] {1, 28, 10}, "fashion-mnist", new int[] {1, 28, 10},
            "cifar10", new int[] {3, 32, 10}, "svhn", new int[] {3, 32, 10});

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (Files.exists(run.resolve(RunFolder.CONFIG))) {
            throw new IllegalArgumentException("run folder " + run + " already holds a run (" + run.resolve(RunFolder.CONFIG)
                    + "); choose a new folder");
        }
        String ds = TrainCommand.datasetSpec(dataset); // built-in names lower-cased, own-dataset paths absolute, case kept
        String modelName = TrainCommand.modelName(model);
        try { // the names, before any data is read
            ExperimentConfig.paper(ds, modelName);
        } catch (ExperimentConfig.InvalidField e) {
            String option = e.field().equals("model") ? "--model" : e.field().equals("dataset") ? "--dataset" : null;
            throw new UsageException(option == null ? e.getMessage() : option + " " + e.value() + ": " + e.problem(), e);
        }
        if (examples < 0) throw new UsageException("--examples must be >= 0, got " + examples);
        ExperimentConfig.Builder dataCfg = ExperimentConfig.paper(ds, modelName).toBuilder();
        ownData.check(ds);
        ownData.apply(dataCfg);
        ExperimentConfig readCfg;
        try {
            readCfg = dataCfg.build();
        } catch (ExperimentConfig.InvalidField e) {
            String option = ownData.optionFor(e.field());
            throw new UsageException(option == null ? e.getMessage() : option + " " + e.value() + ": " + e.problem(), e);
        }
        SortedMap<Integer, Path> files = RunImport.weightFiles(weights, epoch);
        Path noiseFile = labels == null ? null : labels.noiseFile;
        Path noisyIdx = labels == null ? null : labels.noisyIndices;

        int c, size, k;
        NoisyLabels noise;
        Dataset train = null;
        dev.engram.datasets.TrainTest read = null; // the dataset as read, when it was
        if (inputShape != null || classes != null) {
            if (inputShape == null || classes == null || inputShape.size() != 3) {
                throw new UsageException("--input-shape C,H,W and --classes K go together");
            }
            if (noiseFile == null) {
                throw new UsageException("--input-shape/--classes skip reading the dataset, so the labels must"
                        + " come from --noise-file");
            }
            c = inputShape.get(0);
            if (!inputShape.get(1).equals(inputShape.get(2))) {
                throw new UsageException("--input-shape: models take square images, got " + inputShape);
            }
            size = inputShape.get(1);
            k = classes;
            int[] known = BUILT_IN_SHAPES.get(ds);
            if (readCfg.ownDataset()) { // local files: read them to check the shape (and to list the examples)
                read = DataSource.catalog(AnalysisCommand.fetchOptions(true, out)).load(readCfg);
                train = read.train();
                known = new int[] {train.channels(), train.height() == train.width() ? train.height() : -1, train.numClasses()};
            }
            if (known != null && (c != known[0] || size != known[1] || k != known[2])) {
                throw new UsageException("--input-shape " + c + "," + size + "," + size + " --classes " + k + " contradict --dataset "
                        + ds + ", whose images are " + known[0] + "," + known[1] + "," + known[1] + " in " + known[2]
                        + " classes; the analyses would read " + ds + " and fail");
            }
        } else {
            read = DataSource.catalog(AnalysisCommand.fetchOptions(offline, out)).load(readCfg);
            train = read.train();
            c = train.channels();
            if (train.height() != train.width()) {
                throw new IllegalArgumentException("dataset " + ds + " has non-square images " + train.height() + "×" + train.width());
            }
            size = train.height();
            k = train.numClasses();
        }
        if (noiseFile != null) {
            noise = NoisyLabels.load(noiseFile);
            if (examples > 0 && examples != noise.size()) {
                throw new UsageException("--examples " + examples + " but " + noiseFile + " has " + noise.size() + " rows");
            }
            int[] orig = noise.originalLabels(), trained = noise.noisyLabels();
            for (int i = 0; i < noise.size(); i++) {
                if (orig[i] < 0 || orig[i] >= k || trained[i] < 0 || trained[i] >= k) {
                    throw new UsageException(noiseFile + ": example " + i + " has a label outside [0, " + k + ")");
                }
            }
            if (train != null) {
                Dataset first = RunData.firstN(train, noise.size(), noiseFile);
                int[] ds0 = first.labels();
                for (int i = 0; i < ds0.length; i++) {
                    if (ds0[i] != orig[i]) {
                        throw new UsageException(noiseFile + ": example " + i + " has original label " + orig[i]
                                + " but " + ds + " says " + ds0[i] + "; the noise file does not belong to this dataset");
                    }
                }
            }
        } else {
            Dataset all = train;
            Dataset first = examples > 0
                    ? UsageException.validate("--examples", () -> RunData.firstN(all, examples, "--examples")) : train;
            int[] original = first.labels();
            if (noisyIdx != null) {
                try { // a bad row is a bad --noisy-indices value
                    noise = RunImport.fromNoisyIndices(noisyIdx, original, k);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--noisy-indices: " + e.getMessage(), e);
                }
            } else {
                noise = new NoisyLabels(original, original, new boolean[original.length], 0, 0);
            }
        }
        int n = noise.size();
        ExperimentConfig cfg = readCfg.toBuilder()
                .noiseFraction(noise.fraction()).seed(seed).epochs(files.lastKey())
                .trainSubset(train != null && n == train.size() ? 0 : n).build();
        Normalization norm = normalization(cfg, train == null ? null : RunData.firstN(train, n, "the labels"), c);
        Module m = RunData.createModel(modelName, c, size, k, seed);
        RunImport.check(cfg, files, m); // before the lock creates the folder
        List<String> cmd = TrainCommand.commandLine(spec);
        RunFolder folder;
        try (RunLock lock = RunLock.acquire(run, String.join(" ", cmd))) {
            folder = RunImport.create(run, cfg, noise, norm, files, m, cmd);
            if (read != null) {
                try { // the run is complete without it: a failure here is a warning, not a failed import
                    RunData.writeExampleSources(run, cfg, read, n);
                } catch (java.io.IOException | RuntimeException e) {
                    out.println("warning: could not write " + run.resolve(RunFolder.EXAMPLES) + ": " + e.getMessage());
                }
            }
        }
        out.printf(Locale.ROOT, "imported %d checkpoint(s) (epochs %s) of %s on %s (%d examples, %d noisy) into %s%n",
                files.size(), files.keySet(), modelName, ds, n, noise.noisyCount(), folder.dir());
        out.printf(Locale.ROOT, "input normalization (x - mean) / std, in pixel/255 units: mean %s, std %s%n",
                Arrays.toString(norm.mean()), Arrays.toString(norm.std()));
        out.println("next: engram rewind --run " + folder.dir() + "   engram flip --run " + folder.dir());
        out.flush();
        return 0;
    }

    /**
     * The run's normalization from {@code --normalization}: {@code first} is the training examples the weights saw
     * (null when the dataset was not read).
     */
    private Normalization normalization(ExperimentConfig cfg, Dataset first, int channels) {
        String v = normalization == null ? (cfg.ownDataset() ? "data" : "paper") : normalization.trim().toLowerCase(Locale.ROOT);
        Normalization n;
        if (v.equals("paper")) {
            n = Normalization.PAPER;
        } else if (v.equals("data")) {
            if (first == null) {
                throw new UsageException("--normalization data needs the training examples, but --input-shape skips reading"
                        + " the dataset; give MEAN:STD or drop --input-shape");
            }
            n = Normalization.of(first);
        } else {
            String[] parts = v.split(":", -1);
            if (parts.length != 2) {
                throw new UsageException("--normalization '" + normalization + "': expected paper, data or MEAN:STD"
                        + " (comma-separated per channel, e.g. 0.5:0.25)");
            }
            try {
                n = new Normalization(floats(parts[0]), floats(parts[1]));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--normalization '" + normalization + "': " + e.getMessage(), e);
            }
        }
        if (n.mean().length != 1 && n.mean().length != channels) {
            throw new UsageException("--normalization '" + normalization + "' gives " + n.mean().length
                    + " values per statistic but the images have " + channels + " channel(s); give 1 or " + channels);
        }
        return n;
    }

    private static float[] floats(String csv) {
        String[] t = csv.split(",", -1);
        float[] f = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            try {
                f[i] = Float.parseFloat(t[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + t[i] + "' is not a number");
            }
            if (!Float.isFinite(f[i])) throw new IllegalArgumentException("'" + t[i] + "' is not a finite number");
        }
        return f;
    }
}
