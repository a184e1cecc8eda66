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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PNG charts of the analyses, drawn with XChart in headless mode and written atomically: line charts (series over
 * epochs or layers, optionally with ± error bars), grouped bar charts, overlaid histograms (clean vs noisy) and
 * heat-maps (e.g. clean-vs-noisy gradient cosine per epoch × layer).
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
     * @param y      y values, finite, same length as x
     * @param errors half-widths of error bars (e.g. std over seeds), or null
     */
    public record Series(String name, double[] x, double[] y, double[] errors) {
        /** Validates lengths and finiteness. */
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
            requireFinite(name + " x", x);
            requireFinite(name + " y", y);
            if (errors != null) requireFinite(name + " errors", errors);
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
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        style(c.getStyler());
        c.getStyler().setMarkerSize(6);
        c.getStyler().setErrorBarsColorSeriesColor(true);
        for (Series s : series) {
            XYSeries xs = s.errors() == null ? c.addSeries(s.name(), s.x(), s.y())
                    : c.addSeries(s.name(), s.x(), s.y(), s.errors());
            xs.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        return c;
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
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        style(c.getStyler());
        if (categories.size() > 12) c.getStyler().setXAxisLabelRotation(45);
        for (Map.Entry<String, double[]> g : groups.entrySet()) {
            double[] v = g.getValue();
            if (v.length != categories.size()) {
                throw new IllegalArgumentException("bar group '" + g.getKey() + "' has " + v.length + " values for "
                        + categories.size() + " categories");
            }
            requireFinite(g.getKey(), v);
            c.addSeries(g.getKey(), categories, boxed(v));
        }
        return c;
    }

    /**
     * Overlaid histograms over a common range (e.g. clean vs noisy examples), written as PNG.
     *
     * @param samples  legend label → values (non-finite values are rejected)
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
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, double[]> s : samples.entrySet()) {
            requireFinite(s.getKey(), s.getValue());
            for (double v : s.getValue()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (lo > hi) throw new IllegalArgumentException("histogram '" + title + "' has only empty samples");
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
            if (hi == lo) hi = lo + 1;
            double width = (hi - lo) / bins;
            for (int b = 0; b < bins; b++) labels.add(formatTick(lo + (b + 0.5) * width));
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
            c.addSeries(s.getKey() + " (n=" + s.getValue().length + ")", labels, boxed(counts));
        }
        return c;
    }

    /** Counts of {@code values} in {@code bins} equal-width bins over [lo, hi]; the maximum goes to the last bin. */
    public static double[] binCounts(double[] values, double lo, double hi, int bins) {
        if (!(hi > lo)) throw new IllegalArgumentException("bin range [" + lo + ", " + hi + "] is empty");
        double[] counts = new double[bins];
        for (double v : values) {
            if (v < lo || v > hi) continue;
            int b = (int) Math.floor((v - lo) / (hi - lo) * bins);
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
        if (!(max > min)) throw new IllegalArgumentException("heat-map range [" + min + ", " + max + "] is empty");
        List<Number[]> cells = new ArrayList<>();
        for (int r = 0; r < values.length; r++) {
            if (values[r].length != columns.size()) {
                throw new IllegalArgumentException("heat-map '" + title + "' row " + r + " has " + values[r].length
                        + " values for " + columns.size() + " columns");
            }
            requireFinite("heat-map row " + r, values[r]);
            for (int col = 0; col < values[r].length; col++) cells.add(new Number[] {col, r, values[r][col]});
        }
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

    /** Renders {@code chart} as PNG and writes it atomically. */
    public static void save(Chart<?, ?> chart, Path png) throws IOException {
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
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

    private static void requireFinite(String what, double[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) throw new IllegalArgumentException(what + "[" + i + "] is " + v[i]);
        }
    }
}
