package dev.engram.nn.optim;

import dev.engram.engine.DType;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay, as PyTorch's {@code torch.optim.AdamW}:
 * <pre>
 *   p *= 1 - lr * weightDecay
 *   m  = beta1 * m + (1 - beta1) * g
 *   v  = beta2 * v + (1 - beta2) * g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * with the per-parameter step count {@code t} starting at 1. Runs the backend's
 * {@code adamwUpdate} kernel. State names follow PyTorch: {@code exp_avg}, {@code exp_avg_sq},
 * {@code step} (int32 scalar).
 */
public final class AdamW extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, Tensor[]> moments = new HashMap<>();
    private final Map<String, long[]> steps = new HashMap<>();

    private AdamW(Builder b) {
        super(b.params, b.lr);
        if (!(b.beta1 >= 0 && b.beta1 < 1) || !(b.beta2 >= 0 && b.beta2 < 1)) {
            throw new IllegalArgumentException("AdamW: betas must lie in [0, 1), got (" + b.beta1 + ", " + b.beta2 + ")");
        }
        if (!(b.eps >= 0) || !(b.weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW: eps and weight decay must be >= 0, got eps " + b.eps + ", weight decay " + b.weightDecay);
        }
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
    }

    /** A builder over the trainable parameters of {@code model}. */
    public static Builder builder(Module model) {
        return new Builder(trainableParameters(model));
    }

    /** A builder over the given named parameters. */
    public static Builder builder(Map<String, Tensor> params) {
        return new Builder(params);
    }

    @Override
    protected void update(String name, Tensor p, Tensor g) {
        Tensor[] mv = moments.computeIfAbsent(name, k -> new Tensor[] {zerosLike(p), zerosLike(p)});
        long[] t = steps.computeIfAbsent(name, k -> new long[1]);
        t[0]++;
        if (t[0] > Integer.MAX_VALUE) throw new IllegalStateException("AdamW: step count of '" + name + "' exceeds int32");
        p.backend().adamwUpdate(p.storage(), g.storage(), mv[0].storage(), mv[1].storage(), p.numel(),
                (float) learningRate(), (float) beta1, (float) beta2, (float) eps, (float) weightDecay, t[0]);
    }

    /** Number of updates applied to parameter {@code name} so far. */
    public long stepCount(String name) {
        long[] t = steps.get(name);
        return t == null ? 0 : t[0];
    }

    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : parameters().keySet()) {
            Tensor[] mv = moments.get(name);
            if (mv == null) continue;
            out.put(name + ".exp_avg", mv[0]);
            out.put(name + ".exp_avg_sq", mv[1]);
            out.put(name + ".step", Tensor.ofInts(new int[] {(int) steps.get(name)[0]}));
        }
        return out;
    }

    @Override
    protected StateSpec stateSpec(String kind, Tensor p) {
        return switch (kind) {
            case "exp_avg", "exp_avg_sq" -> new StateSpec(DType.FLOAT32, p.shape());
            case "step" -> new StateSpec(DType.INT32, new int[0]);
            default -> null;
        };
    }

    @Override
    protected List<String> stateNames() {
        return List.of("exp_avg", "exp_avg_sq", "step");
    }

    @Override
    protected void applyStateDict(Map<String, Tensor> state) {
        moments.clear();
        steps.clear();
        for (var e : parameters().entrySet()) {
            String n = e.getKey();
            Tensor m = state.get(n + ".exp_avg");
            if (m == null) continue;
            Tensor p = e.getValue();
            moments.put(n, new Tensor[] {retainedCopy(m, p), retainedCopy(state.get(n + ".exp_avg_sq"), p)});
            steps.put(n, new long[] {state.get(n + ".step").toIntArray()[0]});
        }
    }

    /** Options for {@link AdamW}; defaults are PyTorch's (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01). */
    public static final class Builder {
        private final Map<String, Tensor> params;
        private double lr = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 1e-2;

        private Builder(Map<String, Tensor> params) {
            this.params = params;
        }

        /** Learning rate (default 1e-3). */
        public Builder learningRate(double lr) {
            this.lr = lr;
            return this;
        }

        /** Decay rates of the first and second moment estimates (default 0.9, 0.999). */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /** Term added to the denominator (default 1e-8). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** Decoupled weight decay: parameters shrink by {@code lr * weightDecay} each step. */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** The optimizer; throws if an option is out of range. */
        public AdamW build() {
            return new AdamW(this);
        }
    }
}
