package dev.engram.nn.models;

import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Engram's analyses need from a model, and the checks that a researcher's own model meets it.
 * The full contract, with an example, is in {@code docs/model-contract.md}. In short, a model is a
 * {@link Module} that
 * <ol>
 *   <li>maps a batch {@code [B, C, H, W]} (float32) to logits {@code [B, classes]} — one logit per
 *       class, no softmax; the loss is cross-entropy on them;</li>
 *   <li>implements {@link HasLayerGroups}: every parameter name it lists exists in
 *       {@link Module#namedParameters()} (accounting, rewinding and retraining act per group);</li>
 *   <li>implements {@link HasTaps}: its forward pass calls {@code tap(name, activation)} (a
 *       protected method of {@code Module}) at each place where neuron masks and example-tied
 *       dropout go, and {@link HasTaps#tapNames()} lists exactly those names in forward order;</li>
 *   <li>for the command line ({@code --model class:com.example.MyNet}): is a public, non-abstract
 *       class with a public constructor {@code (int channels, int imageSize, int classes, long seed)}
 *       that initialises every parameter from {@code seed} only (same seed, same weights).</li>
 * </ol>
 * State-dict names are free; use PyTorch's names ({@code registerModule("conv1", ...)} gives
 * {@code conv1.weight}) so that checkpoints move to and from PyTorch.
 */
public final class ModelContract {
    /** Prefix of a model name that names a class: {@code class:com.example.MyNet}. */
    public static final String CLASS_PREFIX = "class:";

    private ModelContract() {}

    /** Whether {@code name} names a class ({@code class:...}). */
    public static boolean isClassName(String name) {
        return name != null && name.trim().startsWith(CLASS_PREFIX);
    }

    /**
     * The public {@code (int, int, int, long)} constructor of the model class named by {@code name}
     * ({@code class:com.example.MyNet}), loaded with the context class loader (else this class' loader).
     *
     * @throws IllegalArgumentException naming the class and what is missing: the class on the class path, the
     *                                  {@code Module} superclass, {@code HasLayerGroups}, {@code HasTaps} or the
     *                                  constructor
     */
    public static Constructor<? extends Module> constructor(String name) {
        String cls = name.trim().substring(CLASS_PREFIX.length()).trim();
        String where = "model '" + name.trim() + "'";
        if (cls.isEmpty()) throw new IllegalArgumentException(where + ": no class name after '" + CLASS_PREFIX + "'");
        Class<?> c;
        try {
            ClassLoader l = Thread.currentThread().getContextClassLoader();
            c = Class.forName(cls, false, l != null ? l : ModelContract.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException(where + ": class " + cls + " is not on the class path (" + e + "); add its"
                    + " jar or classes folder to the class path (see docs/model-contract.md)", e);
        }
        List<String> missing = new ArrayList<>();
        if (!Module.class.isAssignableFrom(c)) missing.add("extend dev.engram.nn.Module");
        if (!HasLayerGroups.class.isAssignableFrom(c)) missing.add("implement dev.engram.nn.models.HasLayerGroups");
        if (!HasTaps.class.isAssignableFrom(c)) missing.add("implement dev.engram.nn.models.HasTaps");
        if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers())) {
            missing.add("be a public, non-abstract class");
        }
        Constructor<?> k = null;
        try {
            k = c.getConstructor(int.class, int.class, int.class, long.class);
        } catch (NoSuchMethodException e) {
            missing.add("have a public constructor (int channels, int imageSize, int classes, long seed)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(where + ": class " + cls + " does not meet the model contract; it must "
                    + String.join(", ", missing) + " (see docs/model-contract.md)");
        }
        @SuppressWarnings("unchecked")
        Constructor<? extends Module> out = (Constructor<? extends Module>) k;
        return out;
    }

    /**
     * A new model of the class named by {@code name} ({@code class:com.example.MyNet}), checked with
     * {@link #check}.
     *
     * @throws IllegalArgumentException when the class is missing, does not meet the contract, its constructor
     *                                  throws, or the model it builds fails {@link #check}
     */
    public static Module create(String name, int channels, int imageSize, int classes, long seed) {
        Constructor<? extends Module> k = constructor(name);
        Module m;
        try {
            m = k.newInstance(channels, imageSize, classes, seed);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            throw new IllegalArgumentException("model '" + name.trim() + "': constructor (" + channels + ", " + imageSize
                    + ", " + classes + ", " + seed + ") failed: " + t, t);
        } catch (ExceptionInInitializerError e) { // the class's static initializer threw (it runs at the first construction)
            Throwable t = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException("model '" + name.trim() + "': the class's static initializer failed: " + t, t);
        } catch (LinkageError e) {
            throw new IllegalArgumentException("model '" + name.trim() + "': cannot load the class: " + e, e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("model '" + name.trim() + "': cannot construct: " + e, e);
        }
        List<String> problems = check(m, channels, imageSize, classes);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("model '" + name.trim() + "' does not meet the model contract (see"
                    + " docs/model-contract.md): " + String.join("; ", problems));
        }
        return m;
    }

    /**
     * Every way {@code model} breaks the contract for inputs {@code [B, channels, imageSize, imageSize]} and
     * {@code classes} classes (empty when it meets it). Runs one forward pass of two zero images in evaluation mode
     * (the model's mode is restored, BN statistics are untouched).
     */
    public static List<String> check(Module model, int channels, int imageSize, int classes) {
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> params = model.namedParameters();
        if (!(model instanceof HasLayerGroups g)) {
            problems.add(model.getClass().getName() + " does not implement HasLayerGroups");
        } else {
            var groups = g.layerGroups();
            if (groups == null || groups.isEmpty()) problems.add("layerGroups() is empty");
            else {
                Set<String> seen = new HashSet<>();
                for (var e : groups.entrySet()) {
                    if (e.getValue() == null || e.getValue().isEmpty()) problems.add("layer group '" + e.getKey() + "' is empty");
                    else for (String p : e.getValue()) {
                        if (!params.containsKey(p)) {
                            problems.add("layer group '" + e.getKey() + "' names '" + p + "', which is not a parameter"
                                    + " (parameters: " + abbreviate(params.keySet()) + ")");
                        } else if (!seen.add(p)) {
                            problems.add("parameter '" + p + "' is in more than one layer group");
                        }
                    }
                }
            }
        }
        List<String> taps = model instanceof HasTaps h ? h.tapNames() : null;
        if (taps == null) problems.add(model.getClass().getName() + " does not implement HasTaps");
        boolean wasTraining = model.isTraining();
        model.eval();
        try (Grad g = Grad.disabled(); Taps.Recorder rec = Taps.record()) {
            Tensor y = model.forward(Tensor.zeros(2, channels, imageSize, imageSize));
            if (!Arrays.equals(y.shape(), new int[] {2, classes})) {
                problems.add("forward of [2, " + channels + ", " + imageSize + ", " + imageSize + "] gave "
                        + Arrays.toString(y.shape()) + ", expected logits [2, " + classes + "]");
            } else {
                for (float v : y.toFloatArray()) {
                    if (!Float.isFinite(v)) {
                        problems.add("forward of [2, " + channels + ", " + imageSize + ", " + imageSize + "] zero images gave"
                                + " non-finite logits (" + v + ") at initialization");
                        break;
                    }
                }
            }
            if (taps != null) {
                List<String> hit = new ArrayList<>(rec.shapes().keySet());
                if (!hit.equals(taps)) {
                    problems.add("tapNames() " + taps + " differ from the taps the forward pass hits, in order: " + hit);
                } else if (!taps.isEmpty()) {
                    problems.addAll(checkForwardFrom(model, (HasTaps) model, taps.get(0), channels, imageSize));
                }
            }
        } catch (RuntimeException e) {
            problems.add("forward of [2, " + channels + ", " + imageSize + ", " + imageSize + "] failed: " + e);
        } finally {
            model.train(wasTraining);
        }
        return problems;
    }

    /** {@link HasTaps#forwardFrom} at the first tap must give the bits of {@code forward}, or not be offered (null). */
    private static List<String> checkForwardFrom(Module model, HasTaps h, String first, int channels, int imageSize) {
        int n = 2 * channels * imageSize * imageSize;
        float[] wave = new float[n];
        for (int i = 0; i < n; i++) wave[i] = (float) Math.sin(0.37 * i);
        Tensor[] seen = new Tensor[1];
        Tensor y;
        try (Taps t = Taps.intercept((name, a) -> {
            if (name.equals(first) && seen[0] == null) seen[0] = a;
            return a;
        })) {
            y = model.forward(Tensor.of(wave, 2, channels, imageSize, imageSize));
        }
        Tensor z;
        try {
            z = h.forwardFrom(first, seen[0]);
        } catch (RuntimeException e) {
            return List.of("forwardFrom(\"" + first + "\", the activation at that tap) failed: " + e);
        }
        if (z == null || Arrays.equals(y.toFloatArray(), z.toFloatArray())) return List.of();
        return List.of("forwardFrom(\"" + first + "\", the activation at that tap) gives other logits than forward");
    }

    private static String abbreviate(Set<String> names) {
        List<String> l = new ArrayList<>(names);
        return l.size() <= 8 ? l.toString() : l.subList(0, 8) + " … (" + l.size() + ")";
    }
}
