package dev.engram.memorization.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One headline number of an analysis, as the CLI, the demo summary and the report print it, with the numbers it
 * shows for tables that aggregate runs ({@code engram sweep report}).
 *
 * @param label   what the value is
 * @param value   the formatted value; a NaN in it reads {@value #NOT_AVAILABLE}
 * @param numbers the row's numbers in a fixed order that does not depend on the values (a number that does not exist
 *                is a NaN in its place, not left out), the first being the headline number; in the unit the value
 *                shows them (a percentage as its percent value). Rows made from the label and value alone take the
 *                numbers of the text ({@link #numbersOf}); rows whose text changes shape with the values (an AUROC
 *                below 0.5 with its inverted value, one "n/a" for several numbers) give them explicitly.
 */
public record SummaryRow(String label, String value, List<Figure> numbers) {
    /** How a value that does not exist (a NaN: no examples of the kind, a ratio of nothing) reads in a row. */
    public static final String NOT_AVAILABLE = "n/a";

    /**
     * A number of a row.
     *
     * @param value   the number (NaN when it does not exist)
     * @param percent whether it is a percentage (then {@code value} is in percent: 87.5 for 87.50%)
     */
    public record Figure(double value, boolean percent) {
        /** A plain number. */
        public static Figure of(double value) {
            return new Figure(value, false);
        }

        /** The fraction {@code fraction} as a percentage ({@code 0.875 → 87.5 %}). */
        public static Figure percentOf(double fraction) {
            return new Figure(100 * fraction, true);
        }
    }

    /** Annotations that repeat a number in another form and are no number of their own: {@code (inverted: 0.7900)}. */
    private static final Pattern ANNOTATION = Pattern.compile("\\s*\\(inverted: [^)]*\\)");
    /** The numbers of a value's text: {@code 87.5%}, {@code 0.9132}, {@code 1e-05}, {@code NaN}, {@code n/a}. */
    private static final Pattern NUMBER = Pattern.compile(
            "NaN%?|(?<![\\w/])n/a(?![\\w/])|-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?%?");

    /** Rejects blanks; copies the numbers. */
    public SummaryRow {
        if (label == null || label.isBlank() || value == null || numbers == null) {
            throw new IllegalArgumentException("summary row needs a label and a value, got " + label + " = " + value);
        }
        value = value.replace("NaN%", NOT_AVAILABLE).replaceAll("\\bNaN\\b", NOT_AVAILABLE);
        numbers = List.copyOf(numbers);
    }

    /** A row whose numbers are those of its text, in order ({@link #numbersOf}). */
    public SummaryRow(String label, String value) {
        this(label, value, value == null ? List.of() : numbersOf(value));
    }

    /**
     * A row of fractions shown as percentages joined by {@code " / "} ({@link #pcts}), each a number of the row, a NaN
     * reading {@value #NOT_AVAILABLE}.
     */
    public static SummaryRow percentages(String label, double... fractions) {
        List<Figure> n = new ArrayList<>();
        for (double f : fractions) n.add(Figure.percentOf(f));
        return new SummaryRow(label, pcts(fractions), n);
    }

    /**
     * The numbers of a value's text, in order: every number ({@code %} marking a percentage), and {@code NaN} or
     * {@value #NOT_AVAILABLE} as a NaN in its place; an {@code (inverted: x)} annotation, which repeats an AUROC as
     * {@code 1 − AUROC}, is no number of the row. Text whose shape changes with the values needs explicit numbers.
     */
    public static List<Figure> numbersOf(String value) {
        List<Figure> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(ANNOTATION.matcher(value).replaceAll(""));
        while (m.find()) {
            String v = m.group();
            boolean pct = v.endsWith("%");
            if (pct) v = v.substring(0, v.length() - 1);
            out.add(new Figure(v.equals("NaN") || v.equals(NOT_AVAILABLE) ? Double.NaN : Double.parseDouble(v), pct));
        }
        return out;
    }

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
