package dev.engram.nn.optim;

import dev.engram.engine.DType;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with PyTorch's {@code torch.optim.SGD} semantics:
 * <pre>
 *   g   = grad + weightDecay * p            (coupled weight decay)
 *   buf = g                                 (first step: no dampening)
 *   buf = momentum * buf + (1 - dampening) * g
 *   d   = nesterov ? g + momentum * buf : buf
 *   p  -= lr * d
 * </pre>
 * With momentum 0 the update is {@code p -= lr * g} and there is no state. Runs the backend's
 * {@code sgdUpdate} kernel on the parameter's device. Momentum buffers are saved under
 * {@code <parameter>.momentum_buffer}.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final Map<String, Tensor> buffers = new HashMap<>();

    private Sgd(Builder b) {
        super(b.params, b.lr);
        if (!(b.momentum >= 0 && b.momentum < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("SGD: momentum must be >= 0, got " + b.momentum);
        if (!(b.weightDecay >= 0 && b.weightDecay < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("SGD: weight decay must be >= 0, got " + b.weightDecay);
        if (b.nesterov && (b.momentum <= 0 || b.dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires momentum > 0 and dampening 0, got momentum "
                    + b.momentum + ", dampening " + b.dampening);
        }
        this.momentum = b.momentum;
        this.dampening = b.dampening;
        this.weightDecay = b.weightDecay;
        this.nesterov = b.nesterov;
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
        Tensor buf = null;
        boolean first = false;
        if (momentum != 0) {
            buf = buffers.get(name);
            if (buf == null) {
                buf = zerosLike(p);
                buffers.put(name, buf);
                first = true;
            }
        }
        p.backend().sgdUpdate(p.storage(), g.storage(), buf == null ? null : buf.storage(), p.numel(),
                (float) learningRate(), (float) momentum, (float) dampening, (float) weightDecay, nesterov, first);
    }

    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : parameters().keySet()) {
            Tensor buf = buffers.get(name);
            if (buf != null) out.put(name + ".momentum_buffer", buf);
        }
        return out;
    }

    @Override
    protected StateSpec stateSpec(String kind, Tensor p) {
        return momentum != 0 && kind.equals("momentum_buffer") ? new StateSpec(DType.FLOAT32, p.shape()) : null;
    }

    @Override
    protected List<String> stateNames() {
        return momentum != 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    protected void applyStateDict(Map<String, Tensor> state) {
        buffers.clear();
        for (var e : parameters().entrySet()) {
            Tensor src = state.get(e.getKey() + ".momentum_buffer");
            if (src != null) buffers.put(e.getKey(), retainedCopy(src, e.getValue()));
        }
    }

    /** Momentum factor (0: plain SGD). */
    public double momentum() {
        return momentum;
    }

    /** Dampening of the gradient in the momentum update (not applied on the first step). */
    public double dampening() {
        return dampening;
    }

    /** Coupled weight decay factor. */
    public double weightDecay() {
        return weightDecay;
    }

    /** Whether Nesterov momentum is used. */
    public boolean nesterov() {
        return nesterov;
    }

    /** Options for {@link Sgd}; defaults are PyTorch's except the learning rate, which must be set. */
    public static final class Builder {
        private final Map<String, Tensor> params;
        private double lr = Double.NaN;
        private double momentum;
        private double dampening;
        private double weightDecay;
        private boolean nesterov;

        private Builder(Map<String, Tensor> params) {
            this.params = params;
        }

        /** Learning rate (required). */
        public Builder learningRate(double lr) {
            this.lr = lr;
            return this;
        }

        /** Momentum factor (default 0). */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Dampening for momentum (default 0). */
        public Builder dampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        /** Coupled (L2) weight decay added to the gradient, as PyTorch's SGD does. */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        /** The optimizer; throws if the learning rate is missing or an option is out of range. */
        public Sgd build() {
            if (Double.isNaN(lr)) throw new IllegalStateException("SGD: learningRate(...) was not set");
            return new Sgd(this);
        }
    }
}
