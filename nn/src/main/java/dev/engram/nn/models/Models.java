package dev.engram.nn.models;

import dev.engram.nn.Module;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a model by name, as the reference code's {@code get_model}: {@code mlp} (784-512-512-10
 * style, on flattened images), {@code cnn} ({@link SmallCnn}), {@code resnet9} (the paper's),
 * {@code resnet9-dawn} (the DAWNBench variant), {@code resnet50}, {@code resnet50-cifar} (3x3 stem,
 * no max-pool), {@code vit} (the paper's ViT) and {@code vit-tiny} ({@link VisionTransformer.Config#tiny}
 * with patch 2 when the image size allows it, else patch 4, 7, or the whole image), and {@code resnet9-wF}
 * (ResNet-9 with every width times F, e.g. {@code resnet9-w0.25}, for CPU-sized runs). Names are
 * case-insensitive; {@link #ALIASES} lists the other accepted names (one place for them).
 *
 * <p>A researcher's own model is named {@code class:com.example.MyNet}: a class on the class path
 * that meets the {@linkplain ModelContract model contract} (a {@code Module} with
 * {@link HasLayerGroups}, {@link HasTaps} and a public {@code (int channels, int imageSize, int
 * classes, long seed)} constructor); see {@code docs/model-contract.md}.
 */
public final class Models {
    /** The accepted names. */
    public static final List<String> NAMES = List.of("mlp", "cnn", "resnet9", "resnet9-dawn", "resnet50", "resnet50-cifar", "vit", "vit-tiny");
    /** Other names accepted for a model, each mapped to its name in {@link #NAMES}. */
    public static final Map<String, String> ALIASES = Map.of("small-cnn", "cnn");

    private Models() {}

    /**
     * The name in {@link #NAMES} that {@code name} stands for (case-insensitive; aliases resolved).
     *
     * @throws IllegalArgumentException naming the unknown model and the known names
     */
    public static String canonicalName(String name) {
        if (ModelContract.isClassName(name)) {
            ModelContract.constructor(name);
            return name.trim();
        }
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        n = ALIASES.getOrDefault(n, n);
        if (resnet9Width(n) > 0) return n;
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", NAMES)
                    + ", " + WIDTH_NAMES + " (aliases: " + ALIASES + "), or class:com.example.MyNet for a class on the class path");
        }
        return n;
    }

    /**
     * Whether {@link #create} accepts {@code name}: a built-in name or alias, or {@code class:...} naming a class on
     * the class path that has the contract's interfaces and constructor ({@link ModelContract#constructor}).
     */
    public static boolean isKnown(String name) {
        if (ModelContract.isClassName(name)) {
            try {
                ModelContract.constructor(name);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return NAMES.contains(ALIASES.getOrDefault(n, n)) || resnet9Width(n) > 0;
    }

    /** Prefix of the reduced-width ResNet-9 names: {@code resnet9-w0.25} is {@link ResNet9} with width factor 0.25. */
    public static final String RESNET9_WIDTH_PREFIX = "resnet9-w";

    /** How error messages name the reduced-width ResNet-9 family. */
    public static final String WIDTH_NAMES = RESNET9_WIDTH_PREFIX + "F (F in (0, 1], e.g. resnet9-w0.25)";

    /**
     * The width factor of a {@code resnet9-wF} name (F in (0, 1], e.g. {@code resnet9-w0.25}: every channel count
     * of the paper's ResNet-9 times 0.25, same layer structure and state-dict names), or -1 for any other name.
     */
    public static double resnet9Width(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!n.startsWith(RESNET9_WIDTH_PREFIX)) return -1;
        try {
            double f = Double.parseDouble(n.substring(RESNET9_WIDTH_PREFIX.length()));
            return f > 0 && f <= 1 && Double.isFinite(f) ? f : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A freshly initialised model.
     *
     * @param name       a name of {@link #NAMES}, an alias, or {@code class:com.example.MyNet}
     * @param inChannels input channels
     * @param imageSize  square input side (28 for MNIST, 32 for CIFAR-10/SVHN)
     * @param numClasses number of classes (logits)
     * @param seed       initialisation seed
     * @return the model, in training mode
     * @throws IllegalArgumentException for an unknown name, sizes the model cannot take, or a class that does not
     *                                  meet the {@linkplain ModelContract model contract}
     */
    public static Module create(String name, int inChannels, int imageSize, int numClasses, long seed) {
        return create(name, inChannels, imageSize, numClasses, seed, 0);
    }

    /** The models that take a dropout probability in {@link #create(String, int, int, int, long, double)}. */
    public static final List<String> WITH_DROPOUT_OPTION = List.of("mlp", "cnn");

    /**
     * As {@link #create(String, int, int, int, long)}, with standard dropout of probability {@code dropout} after the
     * hidden activations of the models that have no dropout of their own ({@link #WITH_DROPOUT_OPTION}; Arpit et
     * al., ICML 2017, §5). 0 = none, which every model accepts.
     *
     * @throws IllegalArgumentException for a dropout outside [0, 1) or a model without the option
     */
    public static Module create(String name, int inChannels, int imageSize, int numClasses, long seed, double dropout) {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("Models.create(" + name + "): dropout must be in [0, 1), got " + dropout);
        }
        if (dropout > 0 && (ModelContract.isClassName(name) || !WITH_DROPOUT_OPTION.contains(canonicalName(name)))) {
            throw new IllegalArgumentException("Models.create(" + name + "): dropout " + dropout
                    + " is an option of " + WITH_DROPOUT_OPTION + " only");
        }
        if (inChannels <= 0 || imageSize <= 0 || numClasses <= 0) {
            throw new IllegalArgumentException("Models.create(" + name + "): channels, image size and classes must be positive, got "
                    + inChannels + ", " + imageSize + ", " + numClasses);
        }
        if (ModelContract.isClassName(name)) return ModelContract.create(name, inChannels, imageSize, numClasses, seed);
        String canonical = canonicalName(name);
        if (resnet9Width(canonical) > 0) return new ResNet9(inChannels, numClasses, resnet9Width(canonical), seed);
        return switch (canonical) {
            case "mlp" -> new Mlp(seed, (float) dropout, new int[] {inChannels * imageSize * imageSize, 512, 512, numClasses});
            case "cnn" -> new SmallCnn(inChannels, imageSize, numClasses, seed, (float) dropout);
            case "resnet9" -> new ResNet9(inChannels, numClasses, seed);
            case "resnet9-dawn" -> {
                if (imageSize != 32) throw new IllegalArgumentException("Models.create(resnet9-dawn): needs 32x32 input, got " + imageSize);
                yield new ResNet9Dawn(inChannels, numClasses, seed);
            }
            case "resnet50" -> new ResNet50(inChannels, numClasses, false, seed);
            case "resnet50-cifar" -> new ResNet50(inChannels, numClasses, true, seed);
            case "vit" -> new VisionTransformer(VisionTransformer.Config.paper(inChannels, imageSize, numClasses), seed);
            case "vit-tiny" -> new VisionTransformer(VisionTransformer.Config.tiny(inChannels, imageSize, tinyPatch(imageSize), numClasses), seed);
            default -> throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    private static int tinyPatch(int imageSize) {
        for (int p : new int[] {2, 4, 7}) if (imageSize % p == 0) return p;
        return imageSize;
    }
}
