package dev.engram.memorization.report;

import dev.engram.nn.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PNG charts of the analyses, drawn with XChart in headless mode and written atomically: line charts (series over
 * epochs or layers, optionally with ± error bars), grouped bar charts, overlaid histograms (clean vs noisy) and
 * heat-maps (e.g. clean-vs-noisy gradient cosine per epoch × layer).
 *
 * <p>Every chart finishes on any data: non-finite values are skipped (lines, histograms), shown as 0 (bars) or
 * left blank (heat-maps) with a note in the legend or title, and values of a magnitude XChart's tick computation
 * cannot handle (it loops forever from about 1e15) are drawn on a transformed axis named in the axis title: log10
 * for positive values spanning more than six decades, otherwise scaled by a power of ten (after subtracting an
 * offset when the values differ only in their last digits).
 */
public final class Charts {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Default width in pixels. */
    public static final int WIDTH = 900;
    /** Default height in pixels. */
    public static final int HEIGHT = 560;

    /** Integer-valued samples spanning up to this many values get one bin per value. */
    private static final int MAX_INTEGER_BINS = 60;

    /** Colours for series, in order (colour-blind friendly palette of Okabe and Ito). */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000),
    };

    /**
     * One line of a line chart.
     *
     * @param name   legend label
     * @param x      x values
     * @param y      y values, same length as x; points with a non-finite x or y are skipped when drawn
     * @param errors half-widths of error bars (e.g. std over seeds), or null; non-finite ones are not drawn
     */
    public record Series(String name, double[] x, double[] y, double[] errors) {
        /** Validates names and lengths. */
        public Series {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("series needs a name");
            if (x.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x and " + y.length + " y values");
            }
            if (x.length == 0) throw new IllegalArgumentException("series '" + name + "' is empty");
            if (errors != null && errors.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "' has " + errors.length + " error values for "
                        + y.length + " points");
            }
        }

        /** A series without error bars. */
        public static Series of(String name, double[] x, double[] y) {
            return new Series(name, x, y, null);
        }
    }

    private Charts() { }

    /** Line chart with markers, written as PNG to {@code png}. */
    public static void line(Path png, String title, String xLabel, String yLabel, List<Series> series)
            throws IOException {
        save(png, lineChart(title, xLabel, yLabel, series));
    }

    /** The line chart of {@link #line}, not yet rendered. */
    public static XYChart lineChart(String title, String xLabel, String yLabel, List<Series> series) {
        if (series.isEmpty()) throw new IllegalArgumentException("line chart '" + title + "' has no series");
        List<double[]> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (Series s : series) {
            xs.add(s.x());
            ys.add(s.y());
        }
        AxisMap mx = AxisMap.of(xs, false), my = AxisMap.of(ys, true);
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(mx.label(xLabel))
                .yAxisTitle(my.label(yLabel)).build();
        style(c.getStyler());
        c.getStyler().setMarkerSize(6);
        c.getStyler().setErrorBarsColorSeriesColor(true);
        int drawn = 0;
        for (Series s : series) {
            int n = 0;
            double[] x = new double[s.x().length], y = new double[x.length], e = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double px = mx.apply(s.x()[i]), py = my.apply(s.y()[i]);
                if (!Double.isFinite(px) || !Double.isFinite(py)) continue;
                x[n] = px;
                y[n] = py;
                double err = s.errors() == null || my.log ? 0 : s.errors()[i] / my.scale;
                e[n++] = Double.isFinite(err) ? Math.abs(err) : 0;
            }
            int skipped = x.length - n;
            if (n == 0) continue;
            String name = skipped == 0 ? s.name() : s.name() + " (" + skipped + " non-finite point" + (skipped == 1 ? "" : "s")
                    + " skipped)";
            XYSeries xys = s.errors() == null || my.log ? c.addSeries(name, Arrays.copyOf(x, n), Arrays.copyOf(y, n))
                    : c.addSeries(name, Arrays.copyOf(x, n), Arrays.copyOf(y, n), Arrays.copyOf(e, n));
            xys.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            drawn++;
        }
        if (drawn == 0) { // XChart needs a series: one invisible point, the title says why
            c.setTitle(title + " (no finite values to plot)");
            c.addSeries("no finite values", new double[] {0}, new double[] {0})
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        }
        return c;
    }

    /**
     * Many curves on one chart (e.g. ROC curves of every score): lines without markers; once the colours of the
     * palette are used up, further series repeat them with dashed, then dotted lines, so that every series stays
     * distinguishable without relying on colour alone. Written as PNG.
     */
    public static void curves(Path png, String title, String xLabel, String yLabel, List<Series> series)
            throws IOException {
        XYChart c = lineChart(title, xLabel, yLabel, series);
        java.awt.BasicStroke[] dashes = {null, org.knowm.xchart.style.lines.SeriesLines.DASH_DASH,
            org.knowm.xchart.style.lines.SeriesLines.DOT_DOT};
        int i = 0;
        for (XYSeries s : c.getSeriesCollection()) {
            s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            java.awt.BasicStroke d = dashes[Math.min(dashes.length - 1, i / PALETTE.length)];
            if (d != null) s.setLineStyle(d);
            i++;
        }
        save(png, c);
    }

    /**
     * Line chart with two value axes: {@code left} series on the left axis, {@code right} series on the right one
     * (e.g. accuracies beside a measure of another scale). Written as PNG.
     */
    public static void twoAxes(Path png, String title, String xLabel, String leftLabel, List<Series> left,
                               String rightLabel, List<Series> right) throws IOException {
        List<Series> all = new ArrayList<>(left);
        all.addAll(right);
        XYChart c = lineChart(title, xLabel, leftLabel, all);
        c.setYAxisGroupTitle(0, leftLabel);
        c.setYAxisGroupTitle(1, rightLabel);
        c.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        int i = 0;
        for (XYSeries s : c.getSeriesCollection()) {
            if (i++ >= left.size()) {
                s.setYAxisGroup(1);
                s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
            }
        }
        save(png, c);
    }

    /**
     * Grouped bar chart: one group of bars per category, one bar per entry of {@code groups} (legend label → one
     * value per category), written as PNG.
     */
    public static void groupedBar(Path png, String title, String xLabel, String yLabel, List<String> categories,
                                  Map<String, double[]> groups) throws IOException {
        save(png, groupedBarChart(title, xLabel, yLabel, categories, groups));
    }

    /** The chart of {@link #groupedBar}, not yet rendered. */
    public static CategoryChart groupedBarChart(String title, String xLabel, String yLabel, List<String> categories,
                                                Map<String, double[]> groups) {
        if (categories.isEmpty()) throw new IllegalArgumentException("bar chart '" + title + "' has no categories");
        if (groups.isEmpty()) throw new IllegalArgumentException("bar chart '" + title + "' has no groups");
        for (Map.Entry<String, double[]> g : groups.entrySet()) {
            if (g.getValue().length != categories.size()) {
                throw new IllegalArgumentException("bar group '" + g.getKey() + "' has " + g.getValue().length
                        + " values for " + categories.size() + " categories");
            }
        }
        AxisMap my = AxisMap.of(new ArrayList<>(groups.values()), false); // bars start at 0: no log axis
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
                .yAxisTitle(my.label(yLabel)).build();
        style(c.getStyler());
        if (categories.size() > 12) c.getStyler().setXAxisLabelRotation(45);
        for (Map.Entry<String, double[]> g : groups.entrySet()) {
            double[] v = new double[g.getValue().length];
            int bad = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = my.apply(g.getValue()[i]);
                if (!Double.isFinite(v[i])) {
                    v[i] = 0;
                    bad++;
                }
            }
            c.addSeries(bad == 0 ? g.getKey() : g.getKey() + " (" + bad + " non-finite shown as 0)", categories, boxed(v));
        }
        return c;
    }

    /**
     * Overlaid histograms over a common range (e.g. clean vs noisy examples), written as PNG.
     *
     * @param samples  legend label → values (non-finite values are skipped, their count noted in the legend)
     * @param bins     number of equal-width bins over [min, max] of all values; when every value is an integer and
     *                 the values span at most {@code max(bins, 60)} integers, one bin per integer is used instead
     * @param density  plot the fraction of each sample per bin instead of counts, so that samples of different size
     *                 (9 clean per noisy example at 10% noise) can be compared
     */
    public static void histogram(Path png, String title, String xLabel, Map<String, double[]> samples, int bins,
                                 boolean density) throws IOException {
        save(png, histogramChart(title, xLabel, samples, bins, density));
    }

    /** The chart of {@link #histogram}, not yet rendered. */
    public static CategoryChart histogramChart(String title, String xLabel, Map<String, double[]> samples, int bins,
                                               boolean density) {
        if (samples.isEmpty()) throw new IllegalArgumentException("histogram '" + title + "' has no samples");
        if (bins < 1) throw new IllegalArgumentException("histogram needs at least one bin, got " + bins);
        Map<String, double[]> finite = new java.util.LinkedHashMap<>();
        Map<String, Integer> skipped = new java.util.LinkedHashMap<>();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, double[]> s : samples.entrySet()) {
            double[] v = Arrays.stream(s.getValue()).filter(Double::isFinite).toArray();
            finite.put(s.getKey(), v);
            skipped.put(s.getKey(), s.getValue().length - v.length);
            for (double d : v) {
                lo = Math.min(lo, d);
                hi = Math.max(hi, d);
            }
        }
        if (lo > hi) {
            boolean any = samples.values().stream().anyMatch(v -> v.length > 0);
            if (!any) throw new IllegalArgumentException("histogram '" + title + "' has only empty samples");
            lo = 0; // only non-finite values: an empty histogram whose legend says so
            hi = 1;
        }
        samples = finite;
        boolean integers = true;
        for (double[] v : samples.values()) for (double d : v) integers &= d == Math.rint(d);
        List<String> labels = new ArrayList<>();
        if (integers && hi - lo + 1 <= Math.max(bins, MAX_INTEGER_BINS)) {
            // one bin per integer value (counts such as "units needed to flip")
            bins = (int) (hi - lo + 1);
            for (int b = 0; b < bins; b++) labels.add(Long.toString((long) lo + b));
            lo -= 0.5;
            hi += 0.5;
        } else {
            if (hi == lo) hi = lo + Math.max(1, Math.abs(lo) * 1e-9);
            if (hi == lo || !Double.isFinite(hi)) { // at the end of the double range
                hi = lo;
                lo = hi - Math.max(1, Math.abs(hi) * 1e-9);
            }
            for (int b = 0; b < bins; b++) labels.add(formatTick(2 * (lo / 2 + (b + 0.5) * (hi / 2 - lo / 2) / bins)));
        }
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
                .yAxisTitle(density ? "fraction of examples" : "examples").build();
        style(c.getStyler());
        c.getStyler().setOverlapped(true);
        c.getStyler().setAvailableSpaceFill(0.98);
        if (bins > 12) c.getStyler().setXAxisLabelRotation(45);
        Color[] translucent = new Color[PALETTE.length];
        for (int i = 0; i < PALETTE.length; i++) {
            Color p = PALETTE[i];
            translucent[i] = new Color(p.getRed(), p.getGreen(), p.getBlue(), 140);
        }
        c.getStyler().setSeriesColors(translucent);
        for (Map.Entry<String, double[]> s : samples.entrySet()) {
            double[] counts = binCounts(s.getValue(), lo, hi, bins);
            if (density && s.getValue().length > 0) {
                for (int b = 0; b < bins; b++) counts[b] /= s.getValue().length;
            }
            int k = skipped.get(s.getKey());
            c.addSeries(s.getKey() + " (n=" + s.getValue().length + (k == 0 ? "" : ", " + k + " non-finite skipped") + ")",
                    labels, boxed(counts));
        }
        return c;
    }

    /** Counts of {@code values} in {@code bins} equal-width bins over [lo, hi]; the maximum goes to the last bin. */
    public static double[] binCounts(double[] values, double lo, double hi, int bins) {
        if (!(hi > lo)) throw new IllegalArgumentException("bin range [" + lo + ", " + hi + "] is empty");
        double[] counts = new double[bins];
        double h = hi / 2, l = lo / 2; // halves: hi - lo may overflow, (hi - lo) / 2 cannot
        for (double v : values) {
            if (!(v >= lo && v <= hi)) continue; // also skips NaN
            int b = (int) Math.floor((v / 2 - l) / (h - l) * bins);
            counts[Math.min(b, bins - 1)]++;
        }
        return counts;
    }

    /**
     * Heat-map with {@code values[row][column]}, colours from blue ({@code min}) over white to red ({@code max}),
     * cell values printed when the grid is small; written as PNG. For the clean-vs-noisy gradient cosine, rows are
     * epochs and columns layers, with range [−1, 1].
     */
    public static void heatMap(Path png, String title, String xLabel, String yLabel, List<String> columns,
                               List<String> rows, double[][] values, double min, double max) throws IOException {
        save(png, heatMapChart(title, xLabel, yLabel, columns, rows, values, min, max));
    }

    /** The chart of {@link #heatMap}, not yet rendered. */
    public static HeatMapChart heatMapChart(String title, String xLabel, String yLabel, List<String> columns,
                                            List<String> rows, double[][] values, double min, double max) {
        if (values.length != rows.size()) {
            throw new IllegalArgumentException("heat-map '" + title + "' has " + values.length + " rows of values for "
                    + rows.size() + " row labels");
        }
        if (rows.isEmpty() || columns.isEmpty()) throw new IllegalArgumentException("heat-map '" + title + "' is empty");
        if (!(max > min) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("heat-map range [" + min + ", " + max + "] is empty or not finite");
        }
        List<Number[]> cells = new ArrayList<>();
        int blank = 0;
        for (int r = 0; r < values.length; r++) {
            if (values[r].length != columns.size()) {
                throw new IllegalArgumentException("heat-map '" + title + "' row " + r + " has " + values[r].length
                        + " values for " + columns.size() + " columns");
            }
            for (int col = 0; col < values[r].length; col++) {
                double v = values[r][col];
                if (!Double.isFinite(v)) {
                    blank++;
                    continue;
                }
                cells.add(new Number[] {col, r, Math.max(min, Math.min(max, v))}); // clamped to the colour range
            }
        }
        if (blank > 0) title = title + " (" + blank + " non-finite cell" + (blank == 1 ? "" : "s") + " left blank)";
        if (cells.isEmpty()) cells.add(new Number[] {0, 0, min / 2 + max / 2}); // XChart needs a cell: the neutral colour
        int height = Math.max(HEIGHT, Math.min(1400, 120 + 22 * rows.size()));
        HeatMapChart c = new HeatMapChartBuilder().width(WIDTH).height(height).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setRangeColors(new Color[] {new Color(0x2166AC), Color.WHITE, new Color(0xB2182B)});
        c.getStyler().setMin(min);
        c.getStyler().setMax(max);
        c.getStyler().setShowValue(rows.size() * columns.size() <= 400);
        c.getStyler().setHeatMapValueDecimalPattern("0.00");
        c.getStyler().setValueFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, rows.size() > 20 ? 10 : 12));
        c.addSeries("value", columns, rows, cells);
        return c;
    }

    /**
     * How every chart names layer group {@code index} (0-based position in forward order): numbered from 1 as in the
     * paper's figures, with its name, e.g. {@code "1 fc1"}.
     */
    public static String layerLabel(int index, String name) {
        return (index + 1) + " " + name;
    }

    /** {@link #layerLabel} of each group, in order. */
    public static List<String> layerLabels(List<String> groups) {
        List<String> out = new ArrayList<>(groups.size());
        for (int i = 0; i < groups.size(); i++) out.add(layerLabel(i, groups.get(i)));
        return out;
    }

    /** An axis note for numbered layer groups, e.g. {@code "1 = fc1 … 3 = fc3"}. */
    public static String layerRange(List<String> groups) {
        if (groups.isEmpty()) return "no groups";
        if (groups.size() == 1) return "1 = " + groups.get(0);
        return "1 = " + groups.get(0) + " … " + groups.size() + " = " + groups.get(groups.size() - 1);
    }

    /** Renders {@code chart} as PNG, its title stored in the file ({@link PngTitle}), and writes it atomically. */
    public static void save(Chart<?, ?> chart, Path png) throws IOException {
        byte[] bytes = PngTitle.withTitle(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG),
                chart.getTitle());
        AtomicFiles.write(png, ch -> AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap(bytes)));
    }

    private static void save(Path png, Chart<?, ?> chart) throws IOException {
        save(chart, png);
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setYAxisDecimalPattern("#,##0.###");
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(Color.WHITE);
        s.setSeriesColors(PALETTE);
        s.setAntiAlias(true);
    }

    private static String formatTick(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e5)) return String.format(Locale.ROOT, "%.2e", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static List<Double> boxed(double[] v) {
        List<Double> r = new ArrayList<>(v.length);
        for (double d : v) r.add(d);
        return r;
    }

    /**
     * How a value axis is drawn: {@code log10(v)}, or {@code (v - offset) / scale}. XChart's tick computation loops
     * forever on magnitudes from about 1e15 (and overflows on spans beyond the double range), so values beyond
     * {@link #TAME} are mapped into a small range, and the axis title names the mapping.
     */
    record AxisMap(boolean log, double offset, double scale) {
        /** Largest magnitude drawn as it is. */
        static final double TAME = 1e6;

        static AxisMap of(List<double[]> data, boolean allowLog) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double[] v : data) {
                for (double d : v) {
                    if (!Double.isFinite(d)) continue;
                    lo = Math.min(lo, d);
                    hi = Math.max(hi, d);
                }
            }
            if (lo > hi) return new AxisMap(false, 0, 1);
            double mag = Math.max(Math.abs(lo), Math.abs(hi));
            if (allowLog && lo > 0 && hi / lo > TAME) return new AxisMap(true, 0, 1);
            if (mag <= TAME) return new AxisMap(false, 0, 1);
            double span = hi / 2 - lo / 2; // half the span, never overflowing
            if (span < mag * 1e-6 / 2) { // values that differ only in their last digits: plot the differences
                double s = span == 0 ? 1 : Math.pow(10, Math.floor(Math.log10(2 * span)));
                return new AxisMap(false, lo, s);
            }
            return new AxisMap(false, 0, Math.pow(10, Math.floor(Math.log10(mag))));
        }

        double apply(double v) {
            if (log) return v > 0 ? Math.log10(v) : Double.NaN;
            return offset == 0 ? v / scale : (v - offset) / scale;
        }

        String label(String title) {
            String t = title == null ? "" : title;
            if (log) return t + " (log10)";
            if (offset == 0 && scale == 1) return t;
            String s = scale == 1 ? "" : String.format(Locale.ROOT, "×%.0e", scale).replace("e+", "e");
            if (offset == 0) return t + " (" + s + ")";
            return t + " (" + String.format(Locale.ROOT, "− %.6e", offset) + (s.isEmpty() ? "" : ", " + s) + ")";
        }
    }
}
