package dev.engram.datasets;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The "atypical examples" variant (docs/methods.md §1.3, {@code adjust_for_cscore}): instead of corrupting labels, examples
 * whose C-score (Jiang et al.) is below a threshold (0.5 in the paper) are flagged. The result is a
 * {@link NoisyLabels} with unchanged labels whose mask marks the atypical examples, so every clean/noisy analysis
 * runs unchanged. Scores must be in the dataset's original example order (the released CIFAR-10 file is
 * {@code cifar10-cscores-orig-order.npz}, key {@code scores}).
 */
public final class AtypicalMask {
    /** The paper's threshold. */
    public static final double DEFAULT_THRESHOLD = 0.5;

    private AtypicalMask() { }

    /** Flags {@code scores[i] < threshold}. {@code fraction} of the result is the flagged fraction, seed 0. */
    public static NoisyLabels fromCScores(float[] scores, int[] labels, double threshold) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(scores.length + " scores for " + labels.length + " labels");
        }
        boolean[] mask = new boolean[scores.length];
        int k = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Float.isNaN(scores[i])) throw new IllegalArgumentException("NaN C-score at " + i);
            mask[i] = scores[i] < threshold;
            if (mask[i]) k++;
        }
        double frac = scores.length == 0 ? 0 : (double) k / scores.length;
        return new NoisyLabels(labels, labels, mask, frac, 0L);
    }

    /** {@link #fromCScores(float[], int[], double)} with threshold 0.5. */
    public static NoisyLabels fromCScores(float[] scores, int[] labels) {
        return fromCScores(scores, labels, DEFAULT_THRESHOLD);
    }

    /** Reads C-scores from a 1-D float32/float64 {@code .npy} file and flags those below {@code threshold}. */
    public static NoisyLabels fromNpy(Path npy, int[] labels, double threshold) throws IOException {
        return fromCScores(NpyReader.readFloats(npy), labels, threshold);
    }
}
