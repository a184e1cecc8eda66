package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;

/**
 * Symmetric cross-entropy (Wang et al., "Symmetric Cross Entropy for Robust Learning with Noisy Labels", ICCV 2019,
 * Eq. 5 and §3.3; docs/methods.md §10.1): {@code alpha * CE + beta * RCE}, both averaged over the batch. The reverse
 * cross-entropy swaps prediction and label, {@code RCE = -sum_k p_k log q_k} with {@code q} the one-hot label, whose
 * {@code log 0} is clamped to the constant {@code A} (the paper's {@code A = -4}); so
 * {@code RCE = -A (1 - p_y)}, bounded, which is what makes it robust to wrong labels.
 */
public final class SymmetricCrossEntropy implements LossFunction {
    /** The paper's value of {@code log 0} in the reverse cross-entropy. */
    public static final double PAPER_LOG_ZERO = -4;

    private final double alpha, beta, logZero;

    /**
     * @param alpha   weight of the cross-entropy ({@code >= 0})
     * @param beta    weight of the reverse cross-entropy ({@code >= 0})
     * @param logZero the clamp {@code A} of {@code log 0} (negative; the paper's -4)
     */
    public SymmetricCrossEntropy(double alpha, double beta, double logZero) {
        if (!(alpha >= 0) || !(beta >= 0) || alpha + beta == 0 || !Double.isFinite(alpha + beta)) {
            throw new IllegalArgumentException("symmetric cross-entropy: alpha and beta must be finite, >= 0 and not both 0,"
                    + " got alpha " + alpha + ", beta " + beta);
        }
        if (!(logZero < 0) || !Double.isFinite(logZero)) {
            throw new IllegalArgumentException("symmetric cross-entropy: log(0) clamp A must be finite and < 0, got " + logZero);
        }
        this.alpha = alpha;
        this.beta = beta;
        this.logZero = logZero;
    }

    /** With the paper's {@code A = -4}. */
    public SymmetricCrossEntropy(double alpha, double beta) {
        this(alpha, beta, PAPER_LOG_ZERO);
    }

    @Override
    public Tensor compute(Tensor logits, LabeledBatch batch) {
        Tensor labels = batch.labels();
        Tensor ce = Functional.crossEntropy(logits, labels);
        int b = logits.dim(0), c = logits.dim(1);
        float[] oneHot = new float[b * c];
        int[] y = labels.toIntArray();
        for (int i = 0; i < b; i++) {
            if (y[i] < 0 || y[i] >= c) throw new IllegalArgumentException("symmetric cross-entropy: label " + y[i] + " outside [0, " + c + ")");
            oneHot[i * c + y[i]] = 1f;
        }
        Tensor pTrue = Functional.softmax(logits, 1).mul(Tensor.of(logits.device(), oneHot, b, c)).sum();
        // mean over the batch of -A (1 - p_y) = -A (1 - sum p_y / b)
        Tensor rce = pTrue.mul((float) (logZero / b)).add((float) -logZero);
        return ce.mul((float) alpha).add(rce.mul((float) beta));
    }

    /** Weight of the cross-entropy. */
    public double alpha() {
        return alpha;
    }

    /** Weight of the reverse cross-entropy. */
    public double beta() {
        return beta;
    }
}
