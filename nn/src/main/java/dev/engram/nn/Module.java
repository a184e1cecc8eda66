package dev.engram.nn;

import dev.engram.engine.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * A node of the model tree: named parameters, buffers and child modules, with PyTorch
 * state-dict names ({@code layer2.0.conv1.weight}), train/eval mode, freezing by name pattern
 * and named activation taps (see {@link Taps}).
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private String path = "";
    private boolean training = true;

    /** Computes the module's output. */
    public abstract Tensor forward(Tensor x);

    // ---- registration ------------------------------------------------------------------------

    /** Registers a trainable parameter (it requires a gradient and survives tensor scopes). */
    protected Tensor registerParameter(String name, Tensor t) {
        checkName(name);
        t.requiresGrad(true).retain();
        t.setName(join(path, name));
        params.put(name, t);
        return t;
    }

    /** Registers a non-trainable state tensor (BN running statistics) saved in checkpoints. */
    protected Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        t.retain();
        t.setName(join(path, name));
        buffers.put(name, t);
        return t;
    }

    /** Registers a child module under {@code name}. */
    protected <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        children.put(name, m);
        ((Module) m).setPath(join(path, name));
        return m;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module member names must be non-empty and contain no '.', got '" + name + "'");
        }
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    private void setPath(String p) {
        this.path = p;
        params.forEach((n, t) -> t.setName(join(p, n)));
        buffers.forEach((n, t) -> t.setName(join(p, n)));
        children.forEach((n, c) -> c.setPath(join(p, n)));
    }

    static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** Dotted path of this module inside its root ("" for the root). */
    public String path() {
        return path;
    }

    // ---- random streams ----------------------------------------------------------------------

    /**
     * Positions of the random streams of this module and its subtree (e.g. dropout counters), keyed
     * {@code <own key>} or {@code <child>.<key>}, so that a checkpoint can store them and a resumed
     * run draws the same random numbers as an uninterrupted one. Empty for a module without
     * randomness in its training forward.
     */
    public Map<String, Long> randomState() {
        Map<String, Long> out = new LinkedHashMap<>(ownRandomState());
        children.forEach((n, c) -> c.randomState().forEach((k, v) -> out.put(n + "." + k, v)));
        return out;
    }

    /**
     * Restores positions saved by {@link #randomState()}: keys without a dot go to this module's
     * {@link #restoreOwnRandomState}, {@code <child>.<key>} to that child.
     *
     * @throws IllegalArgumentException naming a key whose child does not exist or that a module does not know
     */
    public void restoreRandomState(Map<String, Long> state) {
        Map<String, Long> own = new LinkedHashMap<>();
        Map<String, Map<String, Long>> byChild = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            String k = e.getKey();
            int dot = k.indexOf('.');
            if (dot < 0) {
                own.put(k, e.getValue());
                continue;
            }
            String child = k.substring(0, dot);
            if (!children.containsKey(child)) {
                throw new IllegalArgumentException("random state key '" + k + "': " + getClass().getSimpleName()
                        + " has no child '" + child + "' (children: " + children.keySet() + ")");
            }
            byChild.computeIfAbsent(child, c -> new LinkedHashMap<>()).put(k.substring(dot + 1), e.getValue());
        }
        if (!own.isEmpty()) restoreOwnRandomState(own);
        byChild.forEach((n, m) -> children.get(n).restoreRandomState(m));
    }

    /** This module's own random stream positions (keys without a dot); none by default. */
    protected Map<String, Long> ownRandomState() {
        return Map.of();
    }

    /**
     * Restores this module's own stream positions.
     *
     * @throws IllegalArgumentException for a key the module does not have (the default has none)
     */
    protected void restoreOwnRandomState(Map<String, Long> state) {
        throw new IllegalArgumentException("random state keys " + state.keySet() + " given to "
                + getClass().getSimpleName() + ", which has no random stream");
    }

    // ---- traversal ---------------------------------------------------------------------------

    /** Direct children by local name. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** All modules of the subtree by full name, this one first under "". */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        visitModules("", out::put);
        return out;
    }

    private void visitModules(String prefix, BiConsumer<String, Module> f) {
        f.accept(prefix, this);
        children.forEach((n, c) -> c.visitModules(join(prefix, n), f));
    }

    /** All parameters by full state-dict name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visitModules("", (p, m) -> m.params.forEach((n, t) -> out.put(join(p, n), t)));
        return out;
    }

    /** All buffers by full state-dict name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visitModules("", (p, m) -> m.buffers.forEach((n, t) -> out.put(join(p, n), t)));
        return out;
    }

    /** Parameters and buffers by name, as PyTorch's {@code state_dict()}. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visitModules("", (p, m) -> {
            m.params.forEach((n, t) -> out.put(join(p, n), t));
            m.buffers.forEach((n, t) -> out.put(join(p, n), t));
        });
        return out;
    }

    /** Trainable parameters (those not frozen). */
    public List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (t.requiresGrad()) out.add(t);
        return out;
    }

    /** Total number of parameter elements (frozen included). */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers by name. With
     * {@code strict}, every missing or unexpected name and every shape mismatch is reported in one
     * exception; otherwise only matching entries are copied. Integer (int32) values load into
     * float32 tensors, so PyTorch's int64 {@code num_batches_tracked} counters load into BN buffers.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> problems = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                if (strict) problems.add("missing '" + e.getKey() + "' " + e.getValue().describe());
            } else if (!java.util.Arrays.equals(src.shape(), e.getValue().shape()) || !loadable(src, e.getValue())) {
                problems.add("'" + e.getKey() + "': expected " + e.getValue().describe() + ", found " + src.describe());
            }
        }
        if (strict) {
            for (String k : state.keySet()) if (!own.containsKey(k)) problems.add("unexpected '" + k + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("state dict does not match " + getClass().getSimpleName() + ":\n  "
                    + String.join("\n  ", problems));
        }
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null) e.getValue().copyFrom(src.dtype() == e.getValue().dtype() ? src : src.toFloat());
        }
    }

    /** Same dtype, or integer values into a float32 tensor (PyTorch's int64 {@code num_batches_tracked}). */
    private static boolean loadable(Tensor src, Tensor dst) {
        return src.dtype() == dst.dtype() || (src.dtype() == dev.engram.engine.DType.INT32 && dst.dtype() == dev.engram.engine.DType.FLOAT32);
    }

    // ---- modes -------------------------------------------------------------------------------

    /** Sets training mode on this module and all descendants. */
    public Module train(boolean on) {
        visitModules("", (p, m) -> m.training = on);
        return this;
    }

    /** Evaluation mode (BN uses running statistics, dropout is the identity). */
    public Module eval() {
        return train(false);
    }

    /**
     * Whether this module is in training mode (the default for a new module); {@link #train(boolean)} and
     * {@link #eval()} set it for the whole subtree.
     */
    public boolean isTraining() {
        return training;
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor t : namedParameters().values()) t.zeroGrad();
    }

    /**
     * Clears every parameter's gradient, keeping its storage for the next backward pass ({@link Tensor#recycleGrad()}):
     * a gradient reference obtained before this call is overwritten by the next backward pass.
     */
    public void recycleGrad() {
        for (Tensor t : namedParameters().values()) t.recycleGrad();
    }

    /**
     * Freezes (or unfreezes) parameters whose full name matches the glob {@code pattern}
     * ({@code *} any run of characters, {@code ?} one). Returns the names affected.
     */
    public List<String> setTrainable(String pattern, boolean trainable) {
        Pattern re = Pattern.compile(globToRegex(pattern));
        List<String> hit = new ArrayList<>();
        for (var e : namedParameters().entrySet()) {
            if (re.matcher(e.getKey()).matches()) {
                e.getValue().requiresGrad(trainable);
                hit.add(e.getKey());
            }
        }
        if (hit.isEmpty()) throw new IllegalArgumentException("no parameter matches '" + pattern + "'");
        return hit;
    }

    static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return sb.toString();
    }

    // ---- taps --------------------------------------------------------------------------------

    /**
     * Marks a named activation: returns {@code x} unchanged unless a {@link Taps} context is
     * active for this thread, which may record it or replace it (for example by masking neurons).
     * The tap's full name is this module's path plus {@code name}.
     */
    protected Tensor tap(String name, Tensor x) {
        return Taps.apply(join(path, name), x);
    }

    /** Parameter table: name, shape, count, and the total. */
    public String summary() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('\n');
        long total = 0;
        for (var e : namedParameters().entrySet()) {
            long n = e.getValue().numel();
            total += n;
            sb.append(String.format(java.util.Locale.ROOT, "  %-40s %-20s %,12d%n", e.getKey(),
                    java.util.Arrays.toString(e.getValue().shape()), n));
        }
        sb.append(String.format(java.util.Locale.ROOT, "  %-40s %-20s %,12d%n", "total", "", total));
        return sb.toString();
    }
}
