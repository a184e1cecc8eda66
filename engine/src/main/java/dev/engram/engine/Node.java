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
        this.inputVersions = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) if (inputs[i] != null) inputVersions[i] = inputs[i].version[0];
    }

    /** The inputs' in-place write counts when the op ran ({@link Tensor#version}). */
    private final int[] inputVersions;
    /** The output's write count, shared with it, and its value when the op ran; null before {@link #recordOutput}. */
    private int[] outputVersion;
    private int outputVersionAtRecord;

    /** Called when the op's output joins the graph: backward also needs the output as it was (e.g. exp, relu). */
    final void recordOutput(Tensor out) {
        outputVersion = out.version;
        outputVersionAtRecord = out.version[0];
    }

    /**
     * Refuses a backward pass through this op when one of its inputs or its output was written in place
     * ({@link Tensor#fill}, {@link Tensor#copyFrom}) after the op ran: its gradient would be computed from the new
     * values, silently wrong.
     */
    final void requireUnmodified() {
        if (!readsValues()) return;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null && inputs[i].version[0] != inputVersions[i]) {
                throw new IllegalStateException("backward through '" + name() + "': its input " + i + " "
                        + inputs[i].describe() + " was written in place (fill/copyFrom) after the op used it, so its"
                        + " gradient would come from the new values; write into a copy, or before the forward pass");
            }
        }
        if (outputVersion != null && outputVersion[0] != outputVersionAtRecord) {
            throw new IllegalStateException("backward through '" + name() + "': its output was written in place"
                    + " (fill/copyFrom) after the op computed it, so its gradient would come from the new values; write"
                    + " into a copy instead");
        }
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

    /**
     * Whether backward reads the values of the inputs or the output (most ops); false for ops whose gradient depends
     * on shapes alone (add, sum, reshape, ...), through which a backward pass stays valid after an in-place write.
     */
    protected boolean readsValues() {
        return true;
    }

    /** Drops saved tensors after backward (unless the graph is retained). */
    protected void release() {}
}
