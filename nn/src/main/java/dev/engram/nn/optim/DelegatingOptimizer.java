package dev.engram.nn.optim;

import dev.engram.engine.Tensor;

import java.util.List;
import java.util.Map;

/**
 * An optimizer that wraps another one ({@link Sam}, {@link MaskedOptimizer}): same parameters, the learning rate and
 * the state (momentum, moments) are the base optimizer's; updates go through the base optimizer's step.
 */
public abstract class DelegatingOptimizer extends Optimizer {
    private final Optimizer base;

    /** Wraps {@code base}. */
    protected DelegatingOptimizer(Optimizer base) {
        super(base.parameters(), base.learningRate());
        this.base = base;
    }

    /** The optimizer that takes the steps. */
    public Optimizer base() {
        return base;
    }

    @Override
    protected void update(String name, Tensor param, Tensor grad) {
        throw new IllegalStateException(getClass().getSimpleName() + ": updates go through the base optimizer's step");
    }

    @Override
    public void setLearningRate(double lr) {
        super.setLearningRate(lr);
        if (base != null) base.setLearningRate(lr); // null while the superclass constructor runs
    }

    @Override
    public Map<String, Tensor> stateDict() {
        return base.stateDict();
    }

    @Override
    protected StateSpec stateSpec(String kind, Tensor p) {
        return base.stateSpec(kind, p);
    }

    @Override
    protected List<String> stateNames() {
        return base.stateNames();
    }

    @Override
    protected void applyStateDict(Map<String, Tensor> state) {
        base.applyStateDict(state);
    }
}
