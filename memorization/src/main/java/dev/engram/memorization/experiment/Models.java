package dev.engram.memorization.experiment;

import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.models.ResNet50;
import dev.engram.nn.models.ResNet9;
import dev.engram.nn.models.SmallCnn;
import dev.engram.nn.models.VisionTransformer;

import java.util.List;

/** Builds the model named in an {@link dev.engram.memorization.run.ExperimentConfig} for a dataset's image shape. */
public final class Models {
    /** Model names {@link #create} understands. */
    public static final List<String> NAMES = List.of("mlp", "small-cnn", "resnet9", "resnet50", "vit");
    /** Hidden widths of the {@code mlp} model. */
    public static final int[] MLP_HIDDEN = {512, 512};

    private Models() { }

    /**
     * A freshly initialised model; every model partitions its parameters into layer groups ({@link HasLayerGroups}).
     *
     * @throws IllegalArgumentException for an unknown name or an image shape the model cannot take
     */
    public static Module create(String name, int channels, int height, int width, int classes, long seed) {
        if (height != width) {
            throw new IllegalArgumentException("model " + name + " needs square images, got " + height + "×" + width);
        }
        return switch (name) {
            case "mlp" -> new Mlp(seed, channels * height * width, MLP_HIDDEN[0], MLP_HIDDEN[1], classes);
            case "small-cnn" -> new SmallCnn(channels, height, classes, seed);
            case "resnet9" -> new ResNet9(channels, classes, seed);
            case "resnet50" -> new ResNet50(channels, classes, seed);
            case "vit" -> new VisionTransformer(VisionTransformer.Config.paper(channels, height), seed);
            default -> throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + NAMES);
        };
    }

    /** The model's layer groups, checking that it has them. */
    public static HasLayerGroups groups(Module model) {
        if (model instanceof HasLayerGroups g) return g;
        throw new IllegalArgumentException(model.getClass().getSimpleName() + " does not define layer groups");
    }
}
