package dev.engram.engine;

/**
 * One recorded operation of the autograd graph. Forward computes the result and saves what
 * backward needs; {@link #backward(Tensor)} maps the output gradient to one gradient per input
 * (null where an input needs none), using the same tensor API.
 */
public abstract class Node {
    final Tensor[] inputs;
    /** Set once a backward pass without {@code retainGraph} has run through this node and released what it saved. */
    boolean freed;

    /**
     * Records the op's inputs, in the order in which {@link #backward(Tensor)} returns their gradients; the array is
     * kept as given, and null entries are skipped.
     */
    protected Node(Tensor... inputs) {
        this.inputs = inputs;
    }

    /** Gradients with respect to each input, in order; null entries are skipped. */
    protected abstract Tensor[] backward(Tensor gradOutput);

    /** Short op name for error messages and graph dumps. */
    public abstract String name();

    /** The inputs this node was applied to. */
    public Tensor input(int i) {
        return inputs[i];
    }

    /** Number of inputs (null entries included). */
    public int inputCount() {
        return inputs.length;
    }

    /** Whether input {@code i} needs a gradient. */
    protected boolean needsGrad(int i) {
        return inputs[i] != null && inputs[i].requiresGrad();
    }

    /** Drops saved tensors after backward (unless the graph is retained). */
    protected void release() {}
}
