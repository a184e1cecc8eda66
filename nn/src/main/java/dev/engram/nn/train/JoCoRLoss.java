package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The joint loss of JoCoR (Wei et al., "Combating Noisy Labels by Agreement: A Joint Training Method with
 * Co-Regularization", CVPR 2020, Eq. 3–5 and Algorithm 1; docs/methods.md §10.3) for the two networks of a
 * {@link dev.engram.nn.models.TwinNetwork}, whose training output is {@code [B, 2C]} (network 1's logits, then
 * network 2's). Per example
 * {@code l = (1 - lambda) (CE(p1, y) + CE(p2, y)) + lambda (KL(p1 || p2) + KL(p2 || p1))}; the batch loss is the mean
 * over the {@code (1 - R(t)) B} examples with the smallest {@code l} (small-loss selection), with the forget rate
 * {@code R(t) = tau * min(1, (t - 1) / (Tk - 1))} rising linearly from 0 in epoch 1 to {@code tau} at epoch
 * {@code Tk}, as the authors' code. On {@code [B, C]} logits (a twin in evaluation mode: network 1) it is the mean
 * cross-entropy.
 */
public final class JoCoRLoss implements LossFunction {
    private final int classes;
    private final double lambda, forgetRate;
    private final int forgetEpochs;

    /**
     * @param classes      number of classes {@code C}
     * @param lambda       weight of the co-regularization, in [0, 1]
     * @param forgetRate   final forget rate {@code tau}, in [0, 1) (usually the noise rate)
     * @param forgetEpochs epochs {@code Tk} over which the forget rate rises, at least 1
     */
    public JoCoRLoss(int classes, double lambda, double forgetRate, int forgetEpochs) {
        if (classes < 2) throw new IllegalArgumentException("JoCoR: need at least 2 classes, got " + classes);
        if (!(lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("JoCoR: lambda must be in [0, 1], got " + lambda);
        if (!(forgetRate >= 0 && forgetRate < 1)) throw new IllegalArgumentException("JoCoR: forget rate must be in [0, 1), got " + forgetRate);
        if (forgetEpochs < 1) throw new IllegalArgumentException("JoCoR: forget epochs Tk must be >= 1, got " + forgetEpochs);
        this.classes = classes;
        this.lambda = lambda;
        this.forgetRate = forgetRate;
        this.forgetEpochs = forgetEpochs;
    }

    /** The forget rate of (1-based) epoch {@code epoch}. */
    public double forgetRate(int epoch) {
        if (forgetEpochs == 1) return forgetRate;
        return forgetRate * Math.min(1.0, Math.max(0, epoch - 1) / (double) (forgetEpochs - 1));
    }

    /** The loss with full selection (epoch 1: nothing forgotten). */
    @Override
    public Tensor compute(Tensor logits, LabeledBatch batch) {
        return compute(logits, batch, 1);
    }

    @Override
    public Tensor compute(Tensor logits, LabeledBatch batch, int epoch) {
        if (logits.dim(1) == classes) return Functional.crossEntropy(logits, batch.labels());
        Tensor perExample = perExample(logits, batch.labels());
        int b = perExample.dim(0);
        int keep = Math.max(1, (int) Math.round((1 - forgetRate(epoch)) * b));
        float[] values;
        try (Grad g = Grad.disabled()) {
            values = perExample.toFloatArray();
        }
        int[] order = IntStream.range(0, b).boxed().sorted(Comparator.comparingDouble(i -> values[i]))
                .mapToInt(Integer::intValue).toArray();
        int[] kept = Arrays.copyOf(order, keep);
        return perExample.indexSelect(Tensor.ofInts(logits.device(), kept, keep)).mean();
    }

    /** The per-example joint loss {@code [B]} of {@code [B, 2C]} logits. */
    public Tensor perExample(Tensor logits, Tensor labels) {
        if (logits.rank() != 2 || logits.dim(1) != 2 * classes) {
            throw new IllegalArgumentException("JoCoR: expected [B, " + 2 * classes + "] logits of two networks, got " + logits.describe());
        }
        Tensor l1 = logits.slice(1, 0, classes), l2 = logits.slice(1, classes, 2 * classes);
        Tensor ce = Functional.crossEntropyPerExample(l1, labels).add(Functional.crossEntropyPerExample(l2, labels));
        Tensor lp1 = Functional.logSoftmax(l1, 1), lp2 = Functional.logSoftmax(l2, 1);
        Tensor diff = lp1.sub(lp2);
        // KL(p1||p2) + KL(p2||p1) = sum_k (p1 - p2)(log p1 - log p2)
        Tensor kl = lp1.exp().sub(lp2.exp()).mul(diff).sum(1, false);
        return ce.mul((float) (1 - lambda)).add(kl.mul((float) lambda));
    }

    @Override
    public Tensor predictionLogits(Tensor logits) {
        return logits.dim(1) == 2 * classes ? logits.slice(1, 0, classes) : logits;
    }
}
