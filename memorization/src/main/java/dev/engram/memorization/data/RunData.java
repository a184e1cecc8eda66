package dev.engram.memorization.data;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.engine.Tensor;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.Models;
import dev.engram.nn.models.TwinNetwork;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The one way into a run: its folder ({@link RunFolder}: configuration, noise file, checkpoints, analysis folders),
 * its examples with the labels it trained on, its model factory and its checkpoint loader. Every analysis takes a
 * {@code RunData}; nothing else in the module reads datasets, builds models or loads checkpoints.
 *
 * <p>The training set is the first {@code noise.size()} examples of the dataset's training file (so example indices
 * stay file positions) and carries the run's (noisy) labels; images are normalized with {@link #normalization()}: as
 * the paper does for the built-in datasets (mean 0.5, std 0.5 per channel, docs/methods.md §1.1), with the per-channel mean and
 * standard deviation of the run's training examples for an own dataset (stored in the run's
 * {@value RunFolder#NORMALIZATION}). A run with an {@linkplain InputCorruption input corruption} sees corrupted training
 * and test images everywhere ({@link #uncorrupted()} has the originals). Data is read on first use, so opening a run
 * to check it costs nothing.
 */
public final class RunData {
    /** Batch size of evaluations (inference only; results do not depend on it). */
    public static final int EVAL_BATCH = 1000;

    private final RunFolder run;
    private final DataSource source;
    private TrainTest data;
    private TrainTest raw;
    private ExampleSet trainSet;
    private ExampleSet testSet;
    private Normalization normalization;

    private RunData(RunFolder run, DataSource source) {
        this.run = run;
        this.source = source;
    }

    /** A run folder with its data source. */
    public static RunData of(RunFolder run, DataSource source) {
        if (run == null || source == null) throw new IllegalArgumentException("RunData.of: null run or data source");
        return new RunData(run, source);
    }

    /** Opens the run folder {@code dir} (see {@link RunFolder#open}) with its data source. */
    public static RunData open(Path dir, DataSource source) {
        return of(RunFolder.open(dir), source);
    }

    /** The run folder. */
    public RunFolder run() {
        return run;
    }

    /** The run's configuration. */
    public ExperimentConfig config() {
        return run.config();
    }

    /** The labels the run trained on and its clean/noisy mask. */
    public NoisyLabels noise() {
        return run.noise();
    }

    /** Indices of the clean training examples. */
    public int[] cleanIndices() {
        return noise().cleanIndices();
    }

    /** Indices of the noisy training examples. */
    public int[] noisyIndices() {
        return noise().noisyIndices();
    }

    /**
     * The run's training examples with their original labels.
     *
     * @throws IllegalArgumentException when the dataset has fewer examples than the run's noise file describes
     */
    public synchronized Dataset train() throws IOException {
        return loaded().train();
    }

    /** The training examples with the labels the run trained on (noisy where corrupted). */
    public Dataset labeledTrain() throws IOException {
        return noise().applyTo(train());
    }

    /** The test set. */
    public synchronized Dataset test() throws IOException {
        return loaded().test();
    }

    /**
     * The input normalization of this run, used by its training, every analysis and every evaluation: the one stored in
     * the run's {@value RunFolder#NORMALIZATION} when there is one (training writes it for an own dataset,
     * {@code engram import} for every run); without that file, the paper's (mean 0.5, std 0.5, docs/methods.md §1.1)
     * for a built-in dataset, and for an own dataset the per-channel statistics of the run's training examples
     * ({@link #trainingNormalization}), as training would have computed them.
     *
     * @throws RunFolderException naming the file when it is unreadable or does not match the data's channels
     */
    public synchronized Normalization normalization() throws IOException {
        if (normalization == null) {
            Path f = run.dir().resolve(RunFolder.NORMALIZATION);
            boolean stored = java.nio.file.Files.isRegularFile(f);
            if (!stored && !config().ownDataset()) {
                normalization = Normalization.PAPER;
            } else {
                Normalization n = stored ? readNormalization(f) : trainingNormalization(config(), train());
                if (n.mean().length != 1 && n.mean().length != train().channels()) {
                    throw new RunFolderException(f, f + " has " + n.mean().length + " channels but the data has "
                            + train().channels());
                }
                normalization = n;
            }
        }
        return normalization;
    }

    /**
     * The normalization a run with {@code config} uses when its training examples are {@code train}: the paper's for
     * a built-in dataset, the per-channel mean and standard deviation of {@code train} ({@link Normalization#of})
     * for an own dataset.
     */
    public static Normalization trainingNormalization(ExperimentConfig config, Dataset train) {
        return config.ownDataset() ? Normalization.of(train) : Normalization.PAPER;
    }

    /**
     * For an own dataset ({@code folder:} or {@code npy:}), writes the run's {@value RunFolder#EXAMPLES}: one row per
     * example of the run, {@code split,index,file,row}, giving the image file (relative to the dataset folder) or the
     * array file and row it came from, so that an example index in any result can be traced back to its data. The
     * training rows are the run's first {@code trainExamples} training examples (0 = all). Does nothing for a built-in
     * dataset, whose example indices are positions in its official files.
     *
     * @param data what the dataset's reader returned for {@code config}
     */
    public static void writeExampleSources(Path runDir, ExperimentConfig config, dev.engram.datasets.TrainTest data,
                                           int trainExamples) throws IOException {
        if (!config.ownDataset()) return;
        String spec = config.dataset();
        dev.engram.datasets.ExampleSources src = spec.startsWith(ExperimentConfig.FOLDER_PREFIX)
                ? dev.engram.datasets.ImageFolderReader.sources(Path.of(spec.substring(ExperimentConfig.FOLDER_PREFIX.length())),
                        config.testFraction(), dev.engram.datasets.OwnDatasets.SPLIT_SEED)
                : dev.engram.datasets.NpyDatasetReader.sources(Path.of(spec.substring(ExperimentConfig.NPY_PREFIX.length())),
                        data, config.testFraction(), dev.engram.datasets.OwnDatasets.SPLIT_SEED);
        if (src.train().size() != data.train().size() || src.test().size() != data.test().size()) {
            throw new IllegalStateException("the files of " + spec + " changed while the run was created ("
                    + src.train().size() + "/" + src.test().size() + " examples listed, " + data.train().size() + "/"
                    + data.test().size() + " read)");
        }
        int n = trainExamples > 0 ? Math.min(trainExamples, src.train().size()) : src.train().size();
        dev.engram.memorization.io.CsvTable csv = new dev.engram.memorization.io.CsvTable("split", "index", "file", "row");
        for (int i = 0; i < n; i++) sourceRow(csv, "train", i, src.train().get(i));
        for (int i = 0; i < src.test().size(); i++) sourceRow(csv, "test", i, src.test().get(i));
        csv.write(runDir.resolve(RunFolder.EXAMPLES));
    }

    private static void sourceRow(dev.engram.memorization.io.CsvTable csv, String split, int index,
                                  dev.engram.datasets.ExampleSources.Source s) {
        csv.addRow(split, index, s.file(), s.row() < 0 ? null : s.row());
    }

    /** Writes {@code n} as the run's {@value RunFolder#NORMALIZATION} ({@code {"mean": [...], "std": [...]}}). */
    public static void writeNormalization(Path runDir, Normalization n) throws IOException {
        RunFolder.writeNormalization(runDir, n);
    }

    private static Normalization readNormalization(Path f) {
        try {
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(
                    java.nio.file.Files.readString(f)).getAsJsonObject();
            if (!o.keySet().equals(java.util.Set.of("mean", "std"))) {
                throw new IllegalArgumentException("expected exactly the keys mean and std, found " + o.keySet());
            }
            return new Normalization(dev.engram.memorization.io.Results.GSON.fromJson(o.get("mean"), float[].class),
                    dev.engram.memorization.io.Results.GSON.fromJson(o.get("std"), float[].class));
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(f, "cannot read the run's normalization " + f + ": " + e.getMessage(), e);
        }
    }

    /** The training examples as normalized arrays with the run's labels and noise flags (built once). */
    public synchronized ExampleSet trainSet() throws IOException {
        if (trainSet == null) {
            NoisyLabels n = noise();
            trainSet = ExampleSet.of(train(), normalization(), n.noisyLabels(), n.mask());
        }
        return trainSet;
    }

    /** The test examples as normalized arrays (built once). */
    public synchronized ExampleSet testSet() throws IOException {
        if (testSet == null) testSet = ExampleSet.of(test(), normalization(), null, null);
        return testSet;
    }

    private TrainTest loaded() throws IOException {
        if (data == null) {
            data = InputCorruption.parse(config().inputCorruption()).apply(uncorrupted(), config().seed());
        }
        return data;
    }

    /**
     * The run's training examples (original labels) and test set as the dataset holds them, before the run's
     * {@linkplain InputCorruption input corruption}; the same as {@link #train()} and {@link #test()} for a run
     * without one.
     */
    public synchronized TrainTest uncorrupted() throws IOException {
        if (raw == null) {
            TrainTest tt = source.load(config());
            Dataset train = firstN(tt.train(), noise().size(), run.noiseFile());
            requireSameLabels(train, noise().originalLabels(), run.noiseFile());
            raw = new TrainTest(train, tt.test());
        }
        return raw;
    }

    /**
     * Refuses a dataset whose labels are not the ones the run was trained on ({@code noise.csv}'s original column): the
     * files of an own dataset changed since training (examples added or removed move the seeded split), and every
     * analysis would otherwise measure other examples than the model saw.
     */
    static void requireSameLabels(Dataset train, int[] original, Object source) {
        int[] labels = train.labels();
        int differ = 0, first = -1;
        for (int i = 0; i < Math.min(labels.length, original.length); i++) {
            if (labels[i] != original[i]) {
                if (first < 0) first = i;
                differ++;
            }
        }
        if (differ > 0) {
            throw new IllegalArgumentException("the data of " + train.name() + " no longer matches the run: " + differ + " of "
                    + original.length + " training examples have another label than the original one recorded in " + source
                    + " (first: example " + first + ", recorded " + original[first] + ", now " + labels[first] + "); the"
                    + " dataset's files changed since the run was trained (adding or removing examples moves the seeded"
                    + " train/test split): use the files the run was trained on");
        }
    }

    /**
     * The first {@code n} examples of {@code d} (indices stay positions).
     *
     * @param source what asks for {@code n} examples, for the message
     */
    public static Dataset firstN(Dataset d, int n, Object source) {
        if (n > d.size()) {
            throw new IllegalArgumentException(source + " describes " + n + " training examples but " + d.name()
                    + " has " + d.size());
        }
        if (n == d.size()) return d;
        int[] first = new int[n];
        for (int i = 0; i < n; i++) first[i] = i;
        return d.subset(first);
    }

    /** A freshly initialised model of the run (its configuration's model, seed and the data's image shape). */
    public Module newModel() throws IOException {
        return createModel(config(), train());
    }

    /**
     * A freshly initialised model of {@code cfg} for images of {@code data}'s shape: its model and seed, with the
     * dropout of its {@linkplain dev.engram.memorization.run.TrainingMethods training methods}, and for JoCoR the two
     * networks ({@link TwinNetwork}, the second initialised from the seed + 1).
     */
    public static Module createModel(ExperimentConfig cfg, Dataset data) {
        requireSquare(cfg.model(), data);
        double dropout = cfg.methods().dropout();
        Module first = createModel(cfg.model(), data.channels(), data.height(), data.numClasses(), cfg.seed(), dropout);
        if (!cfg.methods().jocor()) return first;
        return new TwinNetwork(first, createModel(cfg.model(), data.channels(), data.height(), data.numClasses(),
                cfg.seed() + 1, dropout));
    }

    /**
     * A freshly initialised model {@code name} (see {@link Models}) for images of {@code data}'s shape and classes.
     * Every model the analyses take has layer groups.
     *
     * @throws IllegalArgumentException for an unknown model, non-square images or a model without layer groups
     */
    public static Module createModel(String name, Dataset data, long seed) {
        requireSquare(name, data);
        return createModel(name, data.channels(), data.height(), data.numClasses(), seed);
    }

    private static void requireSquare(String model, Dataset data) {
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("model " + model + " is built for square images but " + data.name() + " has "
                    + data.height() + "×" + data.width() + " ones; resize a folder: dataset with --image-size HxW"
                    + " (e.g. --image-size " + Math.max(data.height(), data.width()) + "x" + Math.max(data.height(), data.width())
                    + ")");
        }
    }

    /**
     * A freshly initialised model {@code name} (see {@link Models}; {@code class:com.example.MyNet} for one's own) for
     * {@code channels × imageSize × imageSize} images and {@code classes} classes.
     *
     * @throws IllegalArgumentException for an unknown model, sizes it cannot take or a model without layer groups
     */
    public static Module createModel(String name, int channels, int imageSize, int classes, long seed) {
        return createModel(name, channels, imageSize, classes, seed, 0);
    }

    private static Module createModel(String name, int channels, int imageSize, int classes, long seed, double dropout) {
        Module m = Models.create(name, channels, imageSize, classes, seed, dropout);
        if (!(m instanceof HasLayerGroups)) {
            throw new IllegalArgumentException("model " + name + " does not define layer groups");
        }
        return m;
    }

    /**
     * The state dict saved after {@code epoch}, checked against {@code model}'s names and shapes.
     *
     * @throws RunFolderException naming the file when it is missing (with the epochs that exist), unreadable, or does
     *                            not match the model (with the missing, unexpected or mis-shaped tensors)
     */
    public Map<String, Tensor> checkpoint(int epoch, Module model) throws IOException {
        return readCheckpoint(run.requireCheckpoint(epoch), model, "epoch " + epoch);
    }

    /** Copies the weights saved after {@code epoch} into {@code model} (see {@link #checkpoint}). */
    public void loadCheckpoint(int epoch, Module model) throws IOException {
        model.loadStateDict(checkpoint(epoch, model), true);
    }

    /** A new model of the run with the weights saved after {@code epoch}, in evaluation mode. */
    public Module modelAt(int epoch) throws IOException {
        return modelAt(epoch, true);
    }

    /**
     * As {@link #modelAt}, but weights that are NaN or infinite are loaded as saved instead of refused: for the
     * analyses that report, per score, which ones came out non-finite (the detection leaderboard, checkpoint scores).
     */
    public Module modelAtAsSaved(int epoch) throws IOException {
        return modelAt(epoch, false);
    }

    private Module modelAt(int epoch, boolean finiteOnly) throws IOException {
        Module m = newModel();
        Path file = run.requireCheckpoint(epoch);
        String what = "epoch " + epoch;
        m.loadStateDict(finiteOnly ? readCheckpoint(file, m, what) : checkedState(file, m, what), true);
        m.eval();
        return m;
    }

    /**
     * Reads a weights file and checks it against {@code model} (names, shapes, types) and its parameters for NaN or
     * infinite values (buffers are not checked: a model may keep an infinite mask); {@code what} describes it in messages.
     */
    public static Map<String, Tensor> readCheckpoint(Path file, Module model, String what) {
        Map<String, Tensor> state = checkedState(file, model, what);
        Map<String, Tensor> params = new java.util.LinkedHashMap<>(state); // buffers may hold -inf on purpose (masks)
        params.keySet().retainAll(model.namedParameters().keySet());
        Checkpoint.NonFinite bad = Checkpoint.firstNonFinite(params);
        if (bad != null) { // a damaged or diverged file: every number computed from it would be meaningless
            throw new RunFolderException(file, "checkpoint " + file + " (" + what + ") holds a non-finite parameter: " + bad
                    + "; the file is damaged or the model had diverged");
        }
        return state;
    }

    /** A weights file read and checked against {@code model} (names, shapes, types), conformed to its dtypes. */
    private static Map<String, Tensor> checkedState(Path file, Module model, String what) {
        Map<String, Tensor> state;
        try {
            state = SafeTensors.load(file);
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(file, "cannot read checkpoint " + file + " (" + what + "): " + e.getMessage(), e);
        }
        List<String> problems = Checkpoint.stateDictProblems(model.stateDict(), state);
        if (!problems.isEmpty()) {
            throw new RunFolderException(file, "checkpoint " + file + " (" + what + ") does not match model "
                    + model.getClass().getSimpleName() + " (" + problems.size() + " problem(s)): "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
                    + (problems.size() > 8 ? "; …" : ""));
        }
        return Checkpoint.conform(model.stateDict(), state);
    }

    @Override
    public String toString() {
        return "RunData[" + run + "]";
    }
}
