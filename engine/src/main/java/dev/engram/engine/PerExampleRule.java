package dev.engram.engine;

/**
 * The per-example rule of one op node type: given the node (its saved inputs) and the gradient
 * of the loss with respect to its output, it contributes each example's share of the gradient
 * of the node's parameter inputs to a {@link PerExampleSink}.
 *
 * <p>A rule is registered with {@link PerExampleRules#register(Class, PerExampleRule)}. Axis 0 of
 * the node's activations is the example axis. The rule runs during backward, before the node's
 * own backward, with gradient recording off; temporary tensors it creates are freed after it
 * returns.
 */
public interface PerExampleRule {
    /** Whether this rule computes the per-example gradient of input {@code inputIndex} of {@code node}. */
    boolean covers(Node node, int inputIndex);

    /**
     * Adds the per-example gradients (or squared norms, see {@link PerExampleSink#normsOnly}) of
     * the covered inputs that {@link PerExampleSink#wants} to the sink.
     */
    void apply(Node node, Tensor gradOutput, PerExampleSink sink);
}
