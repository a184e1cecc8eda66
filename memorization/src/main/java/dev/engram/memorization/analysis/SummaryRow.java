package dev.engram.memorization.analysis;

import java.util.List;
import java.util.Locale;

/**
 * One headline number of an analysis, as the CLI, the demo summary and the report print it.
 *
 * @param label what the value is
 * @param value the formatted value; a NaN in it reads {@value #NOT_AVAILABLE}
 */
public record SummaryRow(String label, String value) {
    /** Rejects blanks. */
    public SummaryRow {
        if (label == null || label.isBlank() || value == null) {
            throw new IllegalArgumentException("summary row needs a label and a value, got " + label + " = " + value);
        }
        value = value.replace("NaN%", NOT_AVAILABLE).replaceAll("\\bNaN\\b", NOT_AVAILABLE);
    }

    /** How a value that does not exist (a NaN: no examples of the kind, a ratio of nothing) reads in a row. */
    public static final String NOT_AVAILABLE = "n/a";

    /** A fraction as a percentage with two decimals ({@code 0.1234 → "12.34%"}). */
    public static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    /** Fractions as percentages joined by {@code " / "}. */
    public static String pcts(double... values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) {
            if (sb.length() > 0) sb.append(" / ");
            sb.append(pct(v));
        }
        return sb.toString();
    }

    /** A number with four decimals. */
    public static String fixed4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** Rows printed as an aligned two-column table, one line each, indented by two spaces. */
    public static List<String> format(List<SummaryRow> rows) {
        int w = 0;
        for (SummaryRow r : rows) w = Math.max(w, r.label().length());
        String fmt = "  %-" + Math.max(1, w) + "s  %s";
        return rows.stream().map(r -> String.format(Locale.ROOT, fmt, r.label(), r.value())).toList();
    }
}
