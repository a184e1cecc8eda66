package dev.engram.memorization.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.engram.memorization.io.Results;
import dev.engram.nn.models.Models;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Everything that defines one experiment (training run) of a run folder; stored as {@code config.json}.
 *
 * <p>The defaults of {@link #paper(String, String)} follow the training recipe of Maini et al. (docs/methods.md §1.5): SGD with
 * momentum 0.9 and weight decay 5e-4 (coupled, PyTorch semantics), peak learning rate 0.01 with linear warm-up over
 * the first 10% of optimizer steps and cosine decay to 0, batch size 512 (128 for the ViT), 10% label noise, seed 4
 * (the paper averages seeds 4, 5 and 6), 50 epochs for CIFAR-10/SVHN without augmentation and 100 for MNIST or with
 * augmentation.
 *
 * @param dataset        {@code mnist}, {@code fashion-mnist}, {@code cifar10} or {@code svhn}, or a researcher's own data:
 *                       {@code folder:PATH} (an image folder with one sub-folder per class, see
 *                       {@code dev.engram.datasets.ImageFolderReader}) or {@code npy:PATH} (a folder with {@code x.npy}
 *                       and {@code y.npy}, or an {@code .npz}, see {@code dev.engram.datasets.NpyDatasetReader});
 *                       {@code engram train} stores PATH absolute
 * @param model          a model name of {@link Models#NAMES} or {@link Models#ALIASES} ({@code resnet9},
 *                       {@code resnet50}, {@code vit}, {@code mlp}, {@code cnn}, …), or {@code class:com.example.MyNet}
 *                       for a class on the class path meeting the model contract ({@code docs/model-contract.md})
 * @param noiseFraction  fraction of training labels corrupted, in [0, 1]; 0 = no noise (noise-based analyses refuse
 *                       such a run), 1 = random labels (every label corrupted, no clean training example;
 *                       docs/methods.md §8.10)
 * @param seed           seed of label noise, initialisation and shuffling
 * @param epochs         training epochs (a checkpoint is kept at initialisation, epoch 0, and after every epoch)
 * @param batchSize      training mini-batch size
 * @param optimizer      {@code sgd}
 * @param peakLr         peak learning rate of the schedule
 * @param momentum       SGD momentum
 * @param weightDecay    coupled L2 weight decay
 * @param schedule       {@code warmup-cosine}, {@code triangle} or {@code constant}, stepped per iteration
 * @param warmupFraction fraction of all steps spent warming up ({@code warmup-cosine}) or rising ({@code triangle})
 * @param augmentation   random crop + flip augmentation of training images (paper main runs: off)
 * @param trainSubset    number of training examples used (the first {@code trainSubset} examples of the training
 *                       file, so example indices stay the file positions), 0 = all
 * @param device         {@code cpu}, {@code cuda} or {@code cuda:N}
 * @param threads        CPU worker threads, 0 = all available cores
 * @param imageSize      {@code HxW} to resize the images of a {@code folder:} dataset to, {@code ""} = the files' size
 *                       (absent from old config files: {@code ""})
 * @param testFraction   fraction of an own dataset's examples held out as its test set when it has no test part of its
 *                       own (seeded, fixed split; absent from old config files: {@value #DEFAULT_TEST_FRACTION});
 *                       ignored by the built-in datasets
 * @param methods        the training methods against memorization switched on ({@link TrainingMethods}; absent from
 *                       old config files: {@link TrainingMethods#STANDARD}, plain training)
 * @param inputCorruption corruption of the training and test images, one of {@link #INPUT_CORRUPTIONS}:
 *                       {@code none}, {@code shuffled-pixels}, {@code random-pixels} or {@code gaussian} (Zhang et al.
 *                       2017, docs/methods.md §8.10; absent from old config files: {@code none})
 * @param trackWeightNorms record the norm of every layer group's parameters after every optimizer step into
 *                       {@code analyses/training/weight-norms.csv} (docs/methods.md §8.14; absent from old config files:
 *                       false)
 */
public record ExperimentConfig(String dataset, String model, double noiseFraction, long seed, int epochs,
                               int batchSize, String optimizer, double peakLr, double momentum, double weightDecay,
                               String schedule, double warmupFraction, boolean augmentation, int trainSubset,
                               String device, int threads, String imageSize, double testFraction,
                               TrainingMethods methods, String inputCorruption, boolean trackWeightNorms) {

    /** Built-in datasets the toolkit can load (besides own data, {@link #FOLDER_PREFIX} and {@link #NPY_PREFIX}). */
    public static final List<String> DATASETS = List.of("mnist", "fashion-mnist", "cifar10", "svhn");
    /** Dataset prefix of an own image folder: {@code folder:PATH}. */
    public static final String FOLDER_PREFIX = "folder:";
    /** Dataset prefix of own NumPy arrays: {@code npy:PATH}. */
    public static final String NPY_PREFIX = "npy:";
    /** Test fraction of own datasets without a test part, when not given. */
    public static final double DEFAULT_TEST_FRACTION = 0.2;
    /** Fields added after the first config files were written, with the value a file without them gets. */
    private static final java.util.Map<String, Object> LATER_FIELDS = java.util.Map.of("imageSize", "",
            "testFraction", DEFAULT_TEST_FRACTION, "inputCorruption", "none", "trackWeightNorms", false);
    /** Input corruptions (Zhang et al. 2017): none, one fixed pixel permutation, a permutation per image, Gaussian noise. */
    public static final List<String> INPUT_CORRUPTIONS = List.of("none", "shuffled-pixels", "random-pixels", "gaussian");
    /** Learning-rate schedules. */
    public static final List<String> SCHEDULES = List.of("warmup-cosine", "triangle", "constant");
    /** Optimizers. */
    public static final List<String> OPTIMIZERS = List.of("sgd", "adamw");
    /** The seeds whose runs the paper averages. */
    public static final List<Long> PAPER_SEEDS = List.of(4L, 5L, 6L);

    /** Validates every field; the message names the field, its value and the allowed range. */
    public ExperimentConfig {
        requireDataset(dataset);
        if (imageSize == null) throw bad("imageSize", null, "\"\" or HxW");
        if (!imageSize.isEmpty()) {
            try {
                dev.engram.datasets.OwnDatasets.parseImageSize(imageSize);
            } catch (IllegalArgumentException e) {
                throw bad("imageSize", imageSize, "\"\" or HxW (e.g. 32x32)");
            }
            if (!dataset.startsWith(FOLDER_PREFIX)) {
                throw bad("imageSize", imageSize, "\"\" for dataset " + dataset + " (resizing applies to folder: datasets)");
            }
        }
        if (!(testFraction > 0 && testFraction < 1)) throw bad("testFraction", testFraction, "in (0, 1)");
        if (!Models.isKnown(model)) {
            if (dev.engram.nn.models.ModelContract.isClassName(model)) {
                try {
                    dev.engram.nn.models.ModelContract.constructor(model);
                } catch (IllegalArgumentException e) {
                    throw new InvalidField("model", model, e.getMessage(), e);
                }
            }
            throw bad("model", model, "one of " + Models.NAMES + ", " + Models.WIDTH_NAMES + " (aliases " + Models.ALIASES
                    + "), or class:com.example.MyNet (docs/model-contract.md)");
        }
        if (!(noiseFraction >= 0 && noiseFraction <= 1)) throw bad("noiseFraction", noiseFraction, "in [0, 1]");
        requireOneOf("inputCorruption", inputCorruption, INPUT_CORRUPTIONS);
        if (epochs < 1) throw bad("epochs", epochs, ">= 1");
        if (batchSize < 1) throw bad("batchSize", batchSize, ">= 1");
        requireOneOf("optimizer", optimizer, OPTIMIZERS);
        if (!(peakLr > 0) || !Double.isFinite(peakLr)) throw bad("peakLr", peakLr, "> 0");
        if (!(momentum >= 0 && momentum < 1)) throw bad("momentum", momentum, "in [0, 1)");
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw bad("weightDecay", weightDecay, ">= 0");
        requireOneOf("schedule", schedule, SCHEDULES);
        if (!(warmupFraction >= 0 && warmupFraction <= 1)) throw bad("warmupFraction", warmupFraction, "in [0, 1]");
        if (trainSubset < 0) throw bad("trainSubset", trainSubset, ">= 0 (0 = whole training set)");
        if (device == null || device.isBlank()) throw bad("device", device, "cpu, cuda or cuda:N");
        String d = device.trim().toLowerCase(Locale.ROOT);
        if (!(d.equals("cpu") || d.equals("cuda") || d.matches("cuda:\\d+"))) {
            throw bad("device", device, "cpu, cuda or cuda:N");
        }
        if (threads < 0) throw bad("threads", threads, ">= 0 (0 = all cores)");
        if (methods == null) throw bad("methods", null, "an object (see TrainingMethods)");
        if (methods.dropout() > 0 && !Models.isKnown(model)) throw bad("methods.dropout", methods.dropout(), "0 for model " + model);
        if (methods.dropout() > 0 && (dev.engram.nn.models.ModelContract.isClassName(model)
                || !Models.WITH_DROPOUT_OPTION.contains(Models.canonicalName(model)))) {
            throw bad("methods.dropout", methods.dropout(), "0 for model " + model + " (dropout is an option of "
                    + Models.WITH_DROPOUT_OPTION + ")");
        }
        if (methods.jocor() && noiseFraction > 0 && methods.jocorForgetRate() == 0) {
            throw bad("methods.jocorForgetRate", 0, "> 0 with jocor on noisy labels (usually the noise fraction)");
        }
    }

    /** A configuration with uncorrupted inputs and no weight-norm tracking. */
    public ExperimentConfig(String dataset, String model, double noiseFraction, long seed, int epochs, int batchSize,
                            String optimizer, double peakLr, double momentum, double weightDecay, String schedule,
                            double warmupFraction, boolean augmentation, int trainSubset, String device, int threads,
                            String imageSize, double testFraction, TrainingMethods methods) {
        this(dataset, model, noiseFraction, seed, epochs, batchSize, optimizer, peakLr, momentum, weightDecay, schedule,
                warmupFraction, augmentation, trainSubset, device, threads, imageSize, testFraction, methods, "none", false);
    }

    /** A configuration with plain training ({@link TrainingMethods#STANDARD}). */
    public ExperimentConfig(String dataset, String model, double noiseFraction, long seed, int epochs, int batchSize,
                            String optimizer, double peakLr, double momentum, double weightDecay, String schedule,
                            double warmupFraction, boolean augmentation, int trainSubset, String device, int threads,
                            String imageSize, double testFraction) {
        this(dataset, model, noiseFraction, seed, epochs, batchSize, optimizer, peakLr, momentum, weightDecay, schedule,
                warmupFraction, augmentation, trainSubset, device, threads, imageSize, testFraction,
                TrainingMethods.STANDARD);
    }

    /** A configuration without the later fields: no resizing, the default test fraction. */
    public ExperimentConfig(String dataset, String model, double noiseFraction, long seed, int epochs, int batchSize,
                            String optimizer, double peakLr, double momentum, double weightDecay, String schedule,
                            double warmupFraction, boolean augmentation, int trainSubset, String device, int threads) {
        this(dataset, model, noiseFraction, seed, epochs, batchSize, optimizer, peakLr, momentum, weightDecay, schedule,
                warmupFraction, augmentation, trainSubset, device, threads, "", DEFAULT_TEST_FRACTION);
    }

    /**
     * The paper's recipe (docs/methods.md §1.5) for {@code dataset} and {@code model}, without augmentation, 10% noise, seed 4,
     * on the CPU (50 epochs for own datasets, as for CIFAR-10).
     */
    public static ExperimentConfig paper(String dataset, String model) {
        requireDataset(dataset);
        int epochs = dataset.equals("mnist") || dataset.equals("fashion-mnist") ? 100 : 50;
        int batch = model.equals("vit") ? 128 : 512;
        return new ExperimentConfig(dataset, model, 0.1, 4, epochs, batch, "sgd", 0.01, 0.9, 5e-4,
                "warmup-cosine", 0.1, false, 0, "cpu", 0);
    }

    /**
     * A dataset as given by a user: a built-in name in lower case, or an own dataset's {@code folder:PATH} /
     * {@code npy:PATH} with PATH made absolute against {@code baseDir} (a leading {@code ~} is the home folder) and
     * its case kept, so that analyses run from another working folder find the data.
     */
    public static String datasetSpec(String s, Path baseDir) {
        String t = s.trim();
        int colon = t.indexOf(':');
        if (colon > 1) { // not a Windows drive letter
            String prefix = t.substring(0, colon + 1).toLowerCase(Locale.ROOT);
            String path = t.substring(colon + 1);
            if ((prefix.equals(FOLDER_PREFIX) || prefix.equals(NPY_PREFIX)) && !path.isBlank()) {
                if (path.equals("~") || path.startsWith("~/")) { // the shell does not expand ~ after folder:
                    path = System.getProperty("user.home") + path.substring(1);
                }
                return prefix + baseDir.resolve(path).toAbsolutePath().normalize();
            }
        }
        return t.toLowerCase(Locale.ROOT);
    }

    /** Names of the starting configurations of {@link #preset}. */
    public static final List<String> PRESETS = List.of("paper", "demo", "repro-cpu");

    /**
     * A starting configuration by name: {@code paper} ({@link #paper} for {@code dataset} and {@code model}),
     * {@code demo} ({@link #cpuDemo}) or {@code repro-cpu} ({@link #reproCpu}).
     */
    public static ExperimentConfig preset(String name, String dataset, String model) {
        return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "paper" -> paper(dataset, model);
            case "demo" -> cpuDemo();
            case "repro-cpu" -> reproCpu();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (paper, demo or repro-cpu)");
        };
    }

    /** True for a researcher's own dataset ({@code folder:PATH} or {@code npy:PATH}). */
    public static boolean isOwnDataset(String dataset) {
        return dataset != null && (dataset.startsWith(FOLDER_PREFIX) || dataset.startsWith(NPY_PREFIX));
    }

    /** True when this run trains on a researcher's own dataset. */
    public boolean ownDataset() {
        return isOwnDataset(dataset);
    }

    private static void requireDataset(String dataset) {
        if (isOwnDataset(dataset)) {
            if (dataset.substring(dataset.indexOf(':') + 1).isBlank()) {
                throw bad("dataset", dataset, "folder:PATH or npy:PATH with a path");
            }
            return;
        }
        if (dataset == null || !DATASETS.contains(dataset)) {
            throw bad("dataset", dataset, "one of " + DATASETS + ", folder:PATH or npy:PATH");
        }
    }

    /**
     * A small preset that trains in about a minute on a laptop CPU: a multilayer perceptron on the first 4,000
     * MNIST training examples with 10% label noise, 40 epochs, batch 128, peak learning rate 0.05 and no weight
     * decay, so that the noisy labels get memorized. Chosen for speed, not fidelity to the paper.
     */
    public static ExperimentConfig cpuDemo() {
        return new ExperimentConfig("mnist", "mlp", 0.1, 4, 40, 128, "sgd", 0.05, 0.9, 0.0,
                "warmup-cosine", 0.1, false, 4000, "cpu", 0);
    }

    /** Width factor of the {@link #reproCpu()} ResNet-9 (model {@code resnet9-w0.25}). */
    public static final String REPRO_CPU_MODEL = "resnet9-w0.25";
    /** Training examples of the {@link #reproCpu()} preset (the first ones of the MNIST training file). */
    public static final int REPRO_CPU_EXAMPLES = 10_000;

    /**
     * The CPU tier of {@code REPRODUCTION.md}: the paper's ResNet-9 at a quarter of its widths ({@code resnet9-w0.25},
     * same layers and state-dict names) on the first 10,000 MNIST training examples with 10% label noise, seed 4, SGD
     * with momentum 0.9 and warm-up + cosine as the paper, but a peak learning rate of 0.05, batch 128, no weight decay
     * (as the demo: so that a small model memorizes the noisy labels within few epochs) and 15 epochs (one epoch with
     * its evaluations: about 70 s on 2 cores), sized so that training plus the analyses fit in about an hour on 2 CPU
     * cores. Chosen to test the paper's claims qualitatively, not to match its figures.
     */
    public static ExperimentConfig reproCpu() {
        return new ExperimentConfig("mnist", REPRO_CPU_MODEL, 0.1, 4, 15, 128, "sgd", 0.05, 0.9, 0.0,
                "warmup-cosine", 0.1, false, REPRO_CPU_EXAMPLES, "cpu", 0);
    }

    /** True when this run corrupts its input images ({@link #inputCorruption} other than {@code none}). */
    public boolean corruptsInputs() {
        return !inputCorruption.equals("none");
    }

    /** True when this run corrupts labels (noise fraction above 0). */
    public boolean hasNoise() {
        return noiseFraction > 0;
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a configuration from a starting point (a preset); each setter names one field, {@link #build} validates. */
    public static final class Builder {
        private String dataset, model, optimizer, schedule, device;
        private double noiseFraction, peakLr, momentum, weightDecay, warmupFraction;
        private long seed;
        private int epochs, batchSize, trainSubset, threads;
        private boolean augmentation;
        private String imageSize;
        private double testFraction;
        private TrainingMethods methods;
        private String inputCorruption;
        private boolean trackWeightNorms;

        private Builder(ExperimentConfig c) {
            dataset = c.dataset;
            model = c.model;
            noiseFraction = c.noiseFraction;
            seed = c.seed;
            epochs = c.epochs;
            batchSize = c.batchSize;
            optimizer = c.optimizer;
            peakLr = c.peakLr;
            momentum = c.momentum;
            weightDecay = c.weightDecay;
            schedule = c.schedule;
            warmupFraction = c.warmupFraction;
            augmentation = c.augmentation;
            trainSubset = c.trainSubset;
            device = c.device;
            threads = c.threads;
            imageSize = c.imageSize;
            testFraction = c.testFraction;
            methods = c.methods;
            inputCorruption = c.inputCorruption;
            trackWeightNorms = c.trackWeightNorms;
        }

        /** Input corruption: none, shuffled-pixels, random-pixels or gaussian. */
        public Builder inputCorruption(String v) { inputCorruption = v; return this; }

        /** Record per-step layer-group weight norms. */
        public Builder trackWeightNorms(boolean v) { trackWeightNorms = v; return this; }

        /** The training methods against memorization. */
        public Builder methods(TrainingMethods v) { methods = v; return this; }

        /** Optimizer: sgd or adamw. */
        public Builder optimizer(String v) { optimizer = v; return this; }

        /** Image size HxW of a folder dataset ("" = the files' size). */
        public Builder imageSize(String v) { imageSize = v; return this; }

        /** Test fraction of an own dataset's seeded split. */
        public Builder testFraction(double v) { testFraction = v; return this; }

        /** Dataset name. */
        public Builder dataset(String v) { dataset = v; return this; }

        /** Model name. */
        public Builder model(String v) { model = v; return this; }

        /** Fraction of corrupted training labels. */
        public Builder noiseFraction(double v) { noiseFraction = v; return this; }

        /** Seed of noise, initialisation and shuffling. */
        public Builder seed(long v) { seed = v; return this; }

        /** Training epochs. */
        public Builder epochs(int v) { epochs = v; return this; }

        /** Mini-batch size. */
        public Builder batchSize(int v) { batchSize = v; return this; }

        /** Peak learning rate. */
        public Builder peakLr(double v) { peakLr = v; return this; }

        /** SGD momentum. */
        public Builder momentum(double v) { momentum = v; return this; }

        /** Coupled weight decay. */
        public Builder weightDecay(double v) { weightDecay = v; return this; }

        /** Learning-rate schedule. */
        public Builder schedule(String v) { schedule = v; return this; }

        /** Crop + flip augmentation. */
        public Builder augmentation(boolean v) { augmentation = v; return this; }

        /** First n training examples (0 = all). */
        public Builder trainSubset(int v) { trainSubset = v; return this; }

        /** Device and CPU threads. */
        public Builder device(String dev, int nThreads) { device = dev; threads = nThreads; return this; }

        /** The validated configuration. */
        public ExperimentConfig build() {
            return new ExperimentConfig(dataset, model, noiseFraction, seed, epochs, batchSize, optimizer, peakLr,
                    momentum, weightDecay, schedule, warmupFraction, augmentation, trainSubset, device, threads, imageSize,
                    testFraction, methods, inputCorruption, trackWeightNorms);
        }
    }

    /** Pretty JSON with one key per field. */
    public String toJson() {
        return Results.toJson(this);
    }

    /**
     * Parses {@link #toJson()} output. Every field must be present and no unknown key may appear (a typo in a
     * hand-edited config must not silently fall back to a default); only the fields added later ({@code imageSize},
     * {@code testFraction}, {@code inputCorruption}, {@code trackWeightNorms}) may be absent, so that older run folders stay readable, and then get their defaults.
     *
     * @param source name used in error messages (file name)
     * @throws IllegalArgumentException naming the source and the missing, unknown or invalid field
     */
    public static ExperimentConfig fromJson(String json, String source) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (JsonParseException ex) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + dev.engram.memorization.io.Results.jsonProblem(ex), ex);
        }
        if (!e.isJsonObject()) throw new IllegalArgumentException(source + ": expected a JSON object");
        JsonObject o = e.getAsJsonObject().deepCopy();
        if (!o.has("methods") || o.get("methods").isJsonNull()) o.add("methods", Results.GSON.toJsonTree(TrainingMethods.STANDARD));
        for (var later : LATER_FIELDS.entrySet()) {
            if (!o.has(later.getKey())) {
                if (later.getValue() instanceof String v) o.addProperty(later.getKey(), v);
                else if (later.getValue() instanceof Boolean v) o.addProperty(later.getKey(), v);
                else o.addProperty(later.getKey(), (Number) later.getValue());
            }
        }
        Set<String> names = new LinkedHashSet<>();
        for (RecordComponent c : ExperimentConfig.class.getRecordComponents()) names.add(c.getName());
        List<String> missing = new ArrayList<>();
        for (String n : names) if (!o.has(n) || o.get(n).isJsonNull()) missing.add(n);
        List<String> unknown = new ArrayList<>();
        for (String k : o.keySet()) if (!names.contains(k)) unknown.add(k);
        if (!missing.isEmpty()) throw new IllegalArgumentException(source + ": missing config field(s) " + missing);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": unknown config field(s) " + unknown + "; known: " + names);
        }
        com.google.gson.JsonElement noise = o.get("noiseFraction");
        double noiseFraction = noise != null && noise.isJsonPrimitive() && noise.getAsJsonPrimitive().isNumber()
                ? noise.getAsDouble() : Double.NaN;
        o.add("methods", TrainingMethods.completed(o.get("methods"), source, noiseFraction));
        try {
            return Results.GSON.fromJson(o, ExperimentConfig.class);
        } catch (RuntimeException ex) {
            // Gson wraps exceptions of the record constructor; report the validation message itself
            for (Throwable t = ex; t != null; t = t.getCause()) {
                if (t instanceof IllegalArgumentException && t.getMessage() != null
                        && t.getMessage().startsWith("config field")) {
                    throw new IllegalArgumentException(source + ": " + t.getMessage(), ex);
                }
            }
            throw new IllegalArgumentException(source + ": bad value in config: " + ex.getMessage(), ex);
        }
    }

    /**
     * This configuration with the fields named in {@code values} replaced: the keys are the field names of
     * {@code config.json}, the values plain Java values as read from a YAML or JSON file (numbers, strings, booleans).
     * Used by {@code engram train --config} and by sweeps.
     *
     * @param source name used in error messages (the file, or the sweep run)
     * @throws IllegalArgumentException naming the source and the unknown key, or the field whose value has the wrong
     *                                  type or is out of range
     */
    public ExperimentConfig withValues(java.util.Map<String, ?> values, String source) {
        JsonObject o = JsonParser.parseString(toJson()).getAsJsonObject();
        java.util.Map<String, Class<?>> types = new java.util.LinkedHashMap<>();
        for (RecordComponent c : ExperimentConfig.class.getRecordComponents()) types.put(c.getName(), c.getType());
        for (var e : values.entrySet()) {
            String key = e.getKey();
            Class<?> type = types.get(key);
            if (type == null) {
                throw new IllegalArgumentException(source + ": unknown config key '" + key + "'; known: " + types.keySet());
            }
            o.add(key, jsonValue(key, e.getValue(), type, source));
        }
        return fromJson(o.toString(), source);
    }

    private static JsonElement jsonValue(String key, Object v, Class<?> type, String source) {
        String expected;
        if (type == TrainingMethods.class) {
            // a nested mapping, checked key by key by TrainingMethods.completed in fromJson
            if (v instanceof java.util.Map<?, ?> m) return Results.GSON.toJsonTree(m);
            expected = "a mapping of training-method options (docs/methods.md §10)";
        } else if (type == String.class) {
            if (v instanceof String s) return new com.google.gson.JsonPrimitive(s);
            expected = "a string";
        } else if (type == boolean.class) {
            if (v instanceof Boolean b) return new com.google.gson.JsonPrimitive(b);
            expected = "true or false";
        } else if (type == int.class || type == long.class) {
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && Math.abs(n.doubleValue()) <= (type == int.class ? Integer.MAX_VALUE : 9.007199254740992E15)) {
                return new com.google.gson.JsonPrimitive(n.longValue());
            }
            expected = "an integer";
        } else {
            if (v instanceof Number n) return new com.google.gson.JsonPrimitive(n.doubleValue());
            expected = "a number";
        }
        throw new IllegalArgumentException(source + ": config field '" + key + "' is " + (v instanceof String ? "\"" + v
                + "\"" : String.valueOf(v)) + ", expected " + expected);
    }

    private static void requireOneOf(String field, String value, List<String> allowed) {
        if (value == null || !allowed.contains(value)) throw bad(field, value, "one of " + allowed);
    }

    private static InvalidField bad(String field, Object value, String expected) {
        return new InvalidField(field, value, "expected " + expected, null);
    }

    /**
     * A field of a configuration has a value it cannot have. The message is {@code config field 'F' is V, expected
     * …}; {@link #field()}, {@link #value()} and {@link #problem()} let a caller that knows where the value came from
     * (a command-line option, a file) name that instead.
     */
    public static final class InvalidField extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final String field;
        private final transient Object value;
        private final String problem;

        InvalidField(String field, Object value, String problem, Throwable cause) {
            super("config field '" + field + "' is " + value + (problem.startsWith("expected") ? ", " : ": ") + problem,
                    cause);
            this.field = field;
            this.value = value;
            this.problem = problem;
        }

        /** The field's name, e.g. {@code epochs}. */
        public String field() {
            return field;
        }

        /** The rejected value. */
        public Object value() {
            return value;
        }

        /** What is wrong with it, e.g. {@code expected >= 1}. */
        public String problem() {
            return problem;
        }
    }
}
