package dev.engram.memorization.scores;

import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.metrics.Detection;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The one layout of a detection table (CSV and printed), with each score's direction and inverted AUROCs marked. */
public final class Detections {
    private Detections() {}

    /**
     * CSV columns: score, direction ({@code higher = noisy} / {@code lower = noisy}), auroc, inverted (1 when the
     * AUROC is below 0.5), inverted_auroc ({@code 1 − auroc} then, else empty), auroc_text (as printed) and
     * precision_at_num_noisy.
     */
    public static CsvTable table(List<Detection> detections) {
        CsvTable t = new CsvTable("score", "direction", "auroc", "inverted", "inverted_auroc", "auroc_text",
                "precision_at_num_noisy");
        for (Detection d : detections) {
            t.addRow(d.score(), d.directionLabel(), d.auroc(), d.inverted() ? 1 : 0,
                    d.inverted() ? String.format(Locale.ROOT, "%.6f", d.invertedAuroc()) : "", d.aurocText(),
                    d.precisionAtNumNoisy());
        }
        return t;
    }

    /**
     * The summary row of {@code d}: {@code "AUROC score (direction)"} = {@link Detection#aurocText()}, whose one number
     * is the AUROC in the score's stated direction (never the inverted value, which only the text shows), so that a
     * table over runs keeps one AUROC column whichever side of 0.5 each run's AUROC falls.
     */
    public static SummaryRow row(Detection d) {
        return new SummaryRow("AUROC " + d.score() + " (" + d.directionLabel() + ")", d.aurocText(),
                List.of(SummaryRow.Figure.of(d.auroc())));
    }

    /** Prints the detections as an aligned table with the same columns as {@link #table}. */
    public static void print(List<Detection> detections, PrintWriter out) {
        out.printf(Locale.ROOT, "%-34s %-14s %-26s %s%n", "score", "direction", "AUROC", "precision@#noisy");
        for (Detection d : detections) {
            out.printf(Locale.ROOT, "%-34s %-14s %-26s %.4f%n", d.score(), d.directionLabel(), d.aurocText(),
                    d.precisionAtNumNoisy());
        }
        out.flush();
    }
}
