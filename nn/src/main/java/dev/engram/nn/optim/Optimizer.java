package dev.engram.nn.optim;

import dev.engram.engine.DType;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Updates a fixed set of named parameters from their accumulated gradients.
 *
 * <p>As in PyTorch, a parameter whose gradient is null (frozen, or not reached by the last
 * backward pass) is skipped by {@link #step()}: no weight decay, no momentum update. Per-parameter
 * state (momentum buffers, moment estimates, step counts) lives in tensors that survive tensor
 * scopes and is exposed by {@link #stateDict()} under {@code <parameter name>.<state name>} keys
 * for checkpointing. Hyperparameters are not part of the state dict: they come from the code that
 * builds the optimizer, and the learning rate from the schedule.
 */
public abstract class Optimizer {
    private final Map<String, Tensor> params;
    private double learningRate;

    /**
     * @param params       parameters by name (names key the state dict); iteration order is kept
     * @param learningRate initial learning rate
     */
    protected Optimizer(Map<String, Tensor> params, double learningRate) {
        Objects.requireNonNull(params, "params");
        if (params.isEmpty()) throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameters to optimize");
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            Tensor p = e.getValue();
            if (p.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + e.getKey()
                        + "' is " + p.describe() + "; only float32 parameters can be optimized");
            }
            if (p.offset() != 0) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + e.getKey()
                        + "' is a view at storage offset " + p.offset() + "; optimizers need parameters that own their storage");
            }
            copy.put(e.getKey(), p);
        }
        this.params = Collections.unmodifiableMap(copy);
        setLearningRate(learningRate);
    }

    /** The trainable parameters of {@code model} by state-dict name (frozen ones left out). */
    public static Map<String, Tensor> trainableParameters(Module model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.namedParameters().forEach((n, t) -> {
            if (t.requiresGrad()) out.put(n, t);
        });
        return out;
    }

    /** The optimized parameters by name. */
    public Map<String, Tensor> parameters() {
        return params;
    }

    /** Applies one update to every parameter that has a gradient. */
    public void step() {
        for (var e : params.entrySet()) {
            Tensor p = e.getValue();
            Tensor g = p.grad();
            if (g == null) continue;
            if (!g.device().equals(p.device())) {
                throw new IllegalStateException(getClass().getSimpleName() + ": gradient of '" + e.getKey() + "' is on "
                        + g.device() + " but the parameter is on " + p.device());
            }
            if (g.offset() != 0) g = g.copy(); // kernels address storage from element 0
            update(e.getKey(), p, g);
            p.markWritten(); // a graph that still holds the old weights cannot be back-propagated any more
        }
    }

    /**
     * A step for optimizers that need gradients at more than one point ({@link Sam}): {@code recomputeGradients} zeroes
     * the gradients and runs forward, loss and backward again on the same batch at the current weights. Other
     * optimizers ignore it and take {@link #step()}.
     */
    public void step(Runnable recomputeGradients) {
        step();
    }

    /** Updates one parameter in place given its gradient (same device, storage offset 0). */
    protected abstract void update(String name, Tensor param, Tensor grad);

    /**
     * Clears the gradients of every optimized parameter, keeping their storage for the next backward pass
     * ({@link Tensor#recycleGrad()}, PyTorch's {@code zero_grad(set_to_none=False)}): a gradient reference obtained
     * before this call is overwritten by the next backward pass.
     */
    public void zeroGrad() {
        for (Tensor p : params.values()) p.recycleGrad();
    }

    /** Sets the learning rate used by the next {@link #step()}. */
    public void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be finite and >= 0, got " + lr);
        }
        this.learningRate = lr;
    }

    /** The learning rate used by the next {@link #step()}. */
    public double learningRate() {
        return learningRate;
    }

    /**
     * The per-parameter state by {@code <parameter>.<state>} name. Buffers are the live tensors
     * (not copies), step counts fresh int32 scalars; a parameter that has not been stepped yet
     * has no entries.
     */
    public abstract Map<String, Tensor> stateDict();

    /**
     * Replaces the state with {@code state} (values are copied). Every unknown name, missing
     * companion entry, shape or dtype mismatch is reported in one exception, and nothing is
     * changed in that case. Parameters without entries go back to the never-stepped state.
     */
    public void loadStateDict(Map<String, Tensor> state) {
        List<String> problems = validateStateDict(state);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " state does not match its parameters:\n  "
                    + String.join("\n  ", problems));
        }
        applyStateDict(state);
    }

    /** Every problem that would make {@link #loadStateDict} fail; empty when it would succeed. */
    public List<String> validateStateDict(Map<String, Tensor> state) {
        List<String> problems = new ArrayList<>();
        Map<String, List<String>> byParam = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            String param = dot < 0 ? "" : key.substring(0, dot);
            String kind = dot < 0 ? key : key.substring(dot + 1);
            Tensor p = params.get(param);
            if (p == null) {
                problems.add("unexpected '" + key + "' (no optimized parameter '" + param + "')");
                continue;
            }
            StateSpec spec = stateSpec(kind, p);
            if (spec == null) {
                problems.add("unexpected '" + key + "' (" + getClass().getSimpleName() + " keeps " + stateNames() + ")");
                continue;
            }
            Tensor t = e.getValue();
            if (t.dtype() != spec.dtype() || !Arrays.equals(t.shape(), spec.shape())) {
                problems.add("'" + key + "': expected " + Arrays.toString(spec.shape()) + " " + spec.dtype().label()
                        + ", found " + t.describe());
            }
            byParam.computeIfAbsent(param, k -> new ArrayList<>()).add(kind);
        }
        byParam.forEach((param, kinds) -> {
            for (String need : stateNames()) {
                if (!kinds.contains(need)) problems.add("missing '" + param + "." + need + "' (the other state of '" + param + "' is present)");
            }
        });
        return problems;
    }

    /** Expected dtype and shape of one state entry. */
    protected record StateSpec(DType dtype, int[] shape) {}

    /** The spec of state {@code kind} for parameter {@code p}, or null if this optimizer has no such state. */
    protected abstract StateSpec stateSpec(String kind, Tensor p);

    /** The state names every stepped parameter has. */
    protected abstract List<String> stateNames();

    /** Installs an already validated state dict. */
    protected abstract void applyStateDict(Map<String, Tensor> state);

    /** A zero tensor shaped like {@code p} on its device that outlives tensor scopes. */
    protected static Tensor zerosLike(Tensor p) {
        return Tensor.zeros(p.device(), p.shape()).retain();
    }

    /** A retained copy of {@code src} on {@code like}'s device with {@code like}'s shape. */
    protected static Tensor retainedCopy(Tensor src, Tensor like) {
        Tensor t = (src.dtype() == DType.INT32 ? Tensor.ofInts(like.device(), new int[Math.toIntExact(src.numel())], src.shape())
                : Tensor.zeros(like.device(), src.shape())).retain();
        t.copyFrom(src);
        return t;
    }
}
