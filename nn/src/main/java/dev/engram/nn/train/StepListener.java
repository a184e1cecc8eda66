package dev.engram.nn.train;

/**
 * Hooks into every training iteration. The order within a step is: zero gradients, forward, loss,
 * {@link #beforeBackward}, zero gradients, backward of the loss, {@link #afterBackward},
 * optimizer step. Gradient accounting reads the pre-update gradients in {@code afterBackward};
 * partial losses can be back-propagated in {@code beforeBackward} with
 * {@code backward(gradient, true)} (the trainer clears the gradients this leaves before its
 * own backward pass).
 */
public interface StepListener {
    /**
     * At the start of training epoch {@code epoch} (1-based), before its first batch; also the first call after a
     * resume, so a change of the weights made here (re-initialization) is part of a resumed run too.
     */
    default void beforeEpoch(int epoch, dev.engram.nn.Module model) {}

    /** After the forward pass and loss, before any backward pass of this step. */
    default void beforeBackward(StepContext step) {}

    /** After the loss's backward pass, before {@code optimizer.step()}: gradients are pre-update. */
    default void afterBackward(StepContext step) {}
}
