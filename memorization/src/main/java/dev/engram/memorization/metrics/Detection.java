package dev.engram.memorization.metrics;

/**
 * How well one per-example score finds the noisy (mislabeled) examples.
 *
 * @param score               score name
 * @param direction           "higher" or "lower": which values indicate a noisy example
 * @param auroc               AUROC of the score as a noisy-example detector (0.5 = chance)
 * @param precisionAtNumNoisy precision among the (number of noisy examples) most suspicious examples
 */
public record Detection(String score, String direction, double auroc, double precisionAtNumNoisy) {
    /**
     * Scores {@code suspicious} (larger = more likely noisy; negate a score whose small values indicate noise before
     * calling) against the noise mask.
     */
    public static Detection of(String score, String direction, double[] suspicious, boolean[] noisy) {
        return new Detection(score, direction, Metrics.auroc(suspicious, noisy),
                Metrics.precisionAtNumPositives(suspicious, noisy));
    }
}
