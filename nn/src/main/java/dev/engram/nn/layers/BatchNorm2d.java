package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Batch normalization over the channels of {@code [N, C, H, W]}, as PyTorch's
 * {@code nn.BatchNorm2d} with {@code affine=True, track_running_stats=True}.
 *
 * <p>Parameters {@code weight} (γ, init 1) and {@code bias} (β, init 0); buffers
 * {@code running_mean} (init 0), {@code running_var} (init 1) and {@code num_batches_tracked}.
 * In training mode the output uses the batch's mean and biased variance, and the running
 * statistics move by {@code momentum}: {@code r = (1 - m) r + m * stat}, with the <em>unbiased</em>
 * batch variance for {@code running_var} (PyTorch's rule). In evaluation mode the running
 * statistics normalize. {@code num_batches_tracked} counts training forwards; PyTorch stores it as
 * an int64 scalar, Engram as a float32 scalar of shape {@code []} (exact up to 2^24 batches), and
 * checkpoint code converts between the two.
 */
public class BatchNorm2d extends Module {
    /** PyTorch's defaults. */
    public static final float DEFAULT_MOMENTUM = 0.1f, DEFAULT_EPS = 1e-5f;

    private final int channels;
    private final float momentum, eps;
    private final Tensor weight, bias, runningMean, runningVar, numBatchesTracked;

    /**
     * Batch norm over {@code channels} channels; {@code momentum} (in [0, 1]) weighs the batch in the
     * running-statistics update and {@code eps} (positive) is added to the variance. Other values throw
     * {@link IllegalArgumentException}.
     */
    public BatchNorm2d(int channels, float momentum, float eps) {
        if (channels <= 0) throw new IllegalArgumentException("BatchNorm2d: channels must be positive, got " + channels);
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("BatchNorm2d: momentum must be in [0, 1], got " + momentum);
        if (!(eps > 0)) throw new IllegalArgumentException("BatchNorm2d: eps must be positive, got " + eps);
        this.channels = channels;
        this.momentum = momentum;
        this.eps = eps;
        this.weight = registerParameter("weight", Tensor.ones(channels));
        this.bias = registerParameter("bias", Tensor.zeros(channels));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(channels));
        this.runningVar = registerBuffer("running_var", Tensor.ones(channels));
        this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.scalar(0f));
    }

    /** Momentum 0.1, eps 1e-5. */
    public BatchNorm2d(int channels) {
        this(channels, DEFAULT_MOMENTUM, DEFAULT_EPS);
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != channels) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + ") '" + path() + "': expected input [N, " + channels
                    + ", H, W], got " + java.util.Arrays.toString(s));
        }
        boolean training = isTraining();
        Tensor y = Functional.batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps);
        if (training) {
            try (Grad g = Grad.disabled()) {
                numBatchesTracked.copyFrom(numBatchesTracked.add(1f));
            }
        }
        return y;
    }

    /** The scale γ {@code [C]} (parameter {@code weight}). */
    public Tensor weight() {
        return weight;
    }

    /** The shift β {@code [C]} (parameter {@code bias}). */
    public Tensor bias() {
        return bias;
    }

    /** The running mean {@code [C]} (buffer {@code running_mean}), used in evaluation mode. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The running unbiased variance {@code [C]} (buffer {@code running_var}), used in evaluation mode. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** Number of training-mode forwards, a float32 scalar of shape {@code []}. */
    public Tensor numBatchesTracked() {
        return numBatchesTracked;
    }

    /** Number of channels C. */
    public int channels() {
        return channels;
    }

    /** Weight of the current batch's statistics in the running-statistics update. */
    public float momentum() {
        return momentum;
    }

    /** The constant added to the variance before its square root. */
    public float eps() {
        return eps;
    }
}
