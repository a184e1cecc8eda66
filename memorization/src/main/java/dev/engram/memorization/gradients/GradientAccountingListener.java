package dev.engram.memorization.gradients;

import dev.engram.nn.Module;
import dev.engram.nn.train.StepContext;
import dev.engram.nn.train.StepListener;

/**
 * Gradient accounting during a real training run: a {@link StepListener} of the {@link dev.engram.nn.train.Trainer}.
 * Before the trainer's backward pass it back-propagates the clean and the noisy part of the batch's loss (graph
 * retained) and opens a per-example norm collection; the trainer's own backward pass of the mean loss is the total
 * (so {@code G_t} sums exactly the gradients the optimizer used); after it, the listener closes the collection and
 * adds the pre-update gradients. {@link #finishEpoch} is called once per epoch by the training run. See
 * {@link GradientAccumulator} for the quantities. With {@link GradientAccumulator.ExampleNorms#EVAL} (default) the
 * per-example norms come from one extra eval-mode forward/backward of the batch before the accounting's passes, at
 * the same (pre-update) parameters; it changes neither the parameters, the gradients the optimizer uses nor the
 * batch-norm running statistics.
 */
public final class GradientAccountingListener implements StepListener {
    private final GradientAccumulator accumulator;

    /**
     * @param model     the model being trained (with layer groups)
     * @param noisyMask noisy flag per training example id
     */
    public GradientAccountingListener(Module model, boolean[] noisyMask) {
        this(model, noisyMask, GradientAccumulator.ExampleNorms.EVAL);
    }

    /**
     * @param model     the model being trained (with layer groups)
     * @param noisyMask noisy flag per training example id
     * @param normMode  how per-example gradient norms are computed
     */
    public GradientAccountingListener(Module model, boolean[] noisyMask, GradientAccumulator.ExampleNorms normMode) {
        this.accumulator = new GradientAccumulator(model, noisyMask, normMode);
    }

    /** The accumulator (for tests and inspection of the running sums). */
    public GradientAccumulator accumulator() {
        return accumulator;
    }

    @Override
    public void beforeBackward(StepContext step) {
        accumulator.abortTotalPass(); // a previous step that failed between the two hooks
        accumulator.exampleNormPass(step.batch());
        accumulator.partialPasses(step.logits(), step.batch());
        accumulator.beginTotalPass(step.batch());
    }

    @Override
    public void afterBackward(StepContext step) {
        accumulator.endTotalPass(step.batch());
    }

    /** The account of training epoch {@code epoch} (the batches since the previous call); resets the sums. */
    public EpochAccount finishEpoch(int epoch) {
        return accumulator.finish(epoch, EpochAccount.DURING_TRAINING);
    }
}
