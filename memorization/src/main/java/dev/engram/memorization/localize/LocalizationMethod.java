package dev.engram.memorization.localize;

/**
 * A localization method (docs/methods.md §11): for each target example, a score per unit of a {@link MaskedModel}
 * (channels or neurons at its taps), higher = more responsible for the target's prediction of its training label
 * (for a mislabeled example: its memorized label). Targets are rows of the model's data; results are in the order
 * given, one row of {@link MaskedModel#units()} scores each. Methods are deterministic given their settings, and the
 * score of a target does not depend on which other targets are scored with it.
 */
public interface LocalizationMethod {
    /** Short name used on the command line and in tables (e.g. {@code zero-out}). */
    String name();

    /** Scores {@code [targets.length][units]}. */
    double[][] scores(MaskedModel model, int[] targets);

    /** The method's target loss: cross-entropy against the training label of each target row. */
    static MaskedModel.LogitObjective targetLoss(MaskedModel model, int[] targets) {
        return (b, logits, d) -> MaskedModel.crossEntropy(logits, model.data().labels()[targets[b]], d);
    }
}
