package dev.engram.memorization.metrics;

import java.util.Locale;

/**
 * How well one per-example score finds the noisy (mislabeled) examples.
 *
 * <p>Every table that shows a detection states the score's direction ({@link #directionLabel()}), and an AUROC below
 * 0.5 is never shown bare: the score then ranks the noisy examples on the wrong side, and {@link #aurocText()} shows
 * it as an inverted ranking with its flipped value, e.g. {@code 0.2100 (inverted: 0.7900)}.
 *
 * @param score               score name
 * @param direction           "higher" or "lower": which values indicate a noisy example
 * @param auroc               AUROC of the score as a noisy-example detector in its stated direction (0.5 = chance)
 * @param precisionAtNumNoisy precision among the (number of noisy examples) most suspicious examples
 * @param invertedAuroc       {@code 1 − auroc} when {@code auroc < 0.5} (the score ranks noisy examples on the
 *                            opposite side of its stated direction; this is the AUROC of the reversed ranking), else NaN
 */
public record Detection(String score, String direction, double auroc, double precisionAtNumNoisy, double invertedAuroc) {

    /** A detection; {@link #invertedAuroc} is derived from {@code auroc}. */
    public Detection(String score, String direction, double auroc, double precisionAtNumNoisy) {
        this(score, direction, auroc, precisionAtNumNoisy, auroc < 0.5 ? 1 - auroc : Double.NaN);
    }

    /**
     * Scores {@code suspicious} (larger = more likely noisy; negate a score whose small values indicate noise before
     * calling) against the noise mask.
     */
    public static Detection of(String score, String direction, double[] suspicious, boolean[] noisy) {
        return new Detection(score, direction, Metrics.auroc(suspicious, noisy),
                Metrics.precisionAtNumPositives(suspicious, noisy));
    }

    /** Whether the score ranks the noisy examples on the opposite side of its stated direction (AUROC below 0.5). */
    public boolean inverted() {
        return auroc < 0.5;
    }

    /** The direction as a table states it: {@code "higher = noisy"} or {@code "lower = noisy"}. */
    public String directionLabel() {
        return direction + " = noisy";
    }

    /** The AUROC to 4 decimals; below 0.5 followed by the inverted ranking's value: {@code "0.2100 (inverted: 0.7900)"}. */
    public String aurocText() {
        String s = String.format(Locale.ROOT, "%.4f", auroc);
        return inverted() ? s + String.format(Locale.ROOT, " (inverted: %.4f)", invertedAuroc) : s;
    }
}
