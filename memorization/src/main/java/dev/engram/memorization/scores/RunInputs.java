package dev.engram.memorization.scores;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.Normalization;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.engine.Tensor;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.models.ResNet50;
import dev.engram.nn.models.ResNet9;
import dev.engram.nn.models.SmallCnn;
import dev.engram.nn.models.VisionTransformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the analyses of a run folder need: its training examples with the labels it trained on (from
 * {@code noise.csv}), the test set, and its model rebuilt from {@code config.json} with a checkpoint's weights.
 * Images are normalized as the paper does (mean 0.5, std 0.5 per channel).
 */
public final class RunInputs {
    /** Normalization of all analyses (spec §1.1). */
    public static final Normalization NORMALIZATION = Normalization.PAPER;
    /** Model names {@link #model} understands. */
    public static final List<String> MODELS = List.of("mlp", "small-cnn", "resnet9", "resnet50", "vit");
    /** Hidden widths of the {@code mlp} model. */
    public static final int[] MLP_HIDDEN = {512, 512};

    private RunInputs() { }

    /** Training and test examples of a run. */
    public record Data(ExampleSet train, ExampleSet test) { }

    /** Loads the run's dataset from the cache (fetching if allowed) and applies its labels and training subset. */
    public static Data load(RunFolder run, FetchOptions options) throws IOException {
        ExperimentConfig cfg = run.config();
        TrainTest tt = dataset(cfg.dataset(), options);
        NoisyLabels noise = run.noise();
        Dataset train = firstN(tt.train(), noise.size(), run.noiseFile());
        return new Data(ExampleSet.of(train, NORMALIZATION, noise.noisyLabels(), noise.mask()),
                ExampleSet.of(tt.test(), NORMALIZATION, null, null));
    }

    /** Reads a dataset by its config name. */
    public static TrainTest dataset(String name, FetchOptions options) throws IOException {
        return switch (name) {
            case "mnist" -> Datasets.mnist(options);
            case "fashion-mnist" -> Datasets.fashionMnist(options);
            case "cifar10" -> Datasets.cifar10(options);
            case "svhn" -> Datasets.svhn(options);
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; known: " + ExperimentConfig.DATASETS);
        };
    }

    /** The first {@code n} examples of {@code d} (ids stay the positions). */
    public static Dataset firstN(Dataset d, int n, Object source) {
        if (n > d.size()) {
            throw new IllegalArgumentException(source + " describes " + n + " training examples but " + d.name() + " has " + d.size());
        }
        if (n == d.size()) return d;
        int[] first = new int[n];
        for (int i = 0; i < n; i++) first[i] = i;
        return d.subset(first);
    }

    /** A freshly initialised model of the given name for images {@code channels x size x size}. */
    public static Module model(String name, int channels, int size, int classes, long seed) {
        return switch (name) {
            case "mlp" -> new Mlp(seed, channels * size * size, MLP_HIDDEN[0], MLP_HIDDEN[1], classes);
            case "small-cnn" -> new SmallCnn(channels, size, classes, seed);
            case "resnet9" -> new ResNet9(channels, classes, seed);
            case "resnet50" -> new ResNet50(channels, classes, seed);
            case "vit" -> new VisionTransformer(VisionTransformer.Config.paper(channels, size), seed);
            default -> throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + MODELS);
        };
    }

    /** The run's model with the weights of checkpoint {@code file}, in evaluation mode. */
    public static Module loadModel(RunFolder run, ExampleSet shape, Path file) throws IOException {
        Module m = model(run.config().model(), shape.channels(), shape.height(), shape.numClasses(), run.config().seed());
        loadWeights(m, file);
        m.eval();
        return m;
    }

    /** Copies the weights of a checkpoint file into {@code model} (strict: names and shapes must match). */
    public static void loadWeights(Module model, Path file) throws IOException {
        Map<String, Tensor> w = SafeTensors.load(file);
        try {
            model.loadStateDict(w, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + file + ": " + e.getMessage(), e);
        }
    }
}
