package dev.engram.memorization.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Every chart finishes on extreme and non-finite data (issue 13 item 1: a loss of 1.87e25 made XChart's tick
 * computation spin forever). The time bound is a generous hang bound, not a performance assertion.
 */
class ChartsExtremeValuesTest {
    private static final Duration HANG_BOUND = Duration.ofSeconds(90);
    private static final double NAN = Double.NaN, INF = Double.POSITIVE_INFINITY, MAX = Double.MAX_VALUE;

    @TempDir
    Path dir;

    /** Value sets that hang, overflow or break XChart when handed over as they are. */
    private static final double[][] NASTY = {
        {1.87e25, 2.3, 2.3, 2.1, 2.0, 1.9},        // the run of the issue
        {1e300, 1},
        {-MAX, MAX},
        {MAX, MAX, MAX},
        {1.87e25, 1.87e25 * (1 + 1e-15)},           // a huge value with a tiny span
        {1, 1e15, 3},
        {-1e20, -5},
        {5e-324, 1e-323},
        {0.5, NAN, 0.7, INF, -INF, 0.9},
        {NAN, NAN},
        {0, 0, 0},
    };

    private static double[] range(int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = i + 1;
        return r;
    }

    @Test
    void lineChartsFinishOnAnyValues() {
        assertTimeoutPreemptively(HANG_BOUND, () -> {
            int k = 0;
            for (double[] y : NASTY) {
                Path f = dir.resolve("line" + k++ + ".png");
                double[] err = new double[y.length];
                java.util.Arrays.fill(err, 0.1);
                err[0] = NAN;
                Charts.line(f, "loss", "epoch", "loss", List.of(new Charts.Series("train", range(y.length), y, err),
                        Charts.Series.of("huge x", new double[] {1e30, 2e30}, new double[] {1, 2})));
                ChartsTest.assertValidPng(f);
            }
        });
    }

    @Test
    void skippedPointsAndTransformedAxesAreNamed() {
        var c = Charts.lineChart("loss", "epoch", "loss", List.of(
                Charts.Series.of("train", range(4), new double[] {1.87e25, 2.3, NAN, 2.0})));
        assertThat(c.getSeries("train (1 non-finite point skipped)")).isNotNull();
        assertThat(c.getYAxisTitle()).isEqualTo("loss (log10)");
        var scaled = Charts.lineChart("v", "epoch", "value", List.of(Charts.Series.of("s", range(2), new double[] {-1e20, 5e19})));
        assertThat(scaled.getYAxisTitle()).isEqualTo("value (×1e20)");
        var none = Charts.lineChart("v", "epoch", "value", List.of(Charts.Series.of("s", range(2), new double[] {NAN, INF})));
        assertThat(none.getTitle()).contains("no finite values");
    }

    @Test
    void barHistogramAndHeatMapChartsFinishOnAnyValues() {
        assertTimeoutPreemptively(HANG_BOUND, () -> {
            int k = 0;
            for (double[] v : NASTY) {
                Map<String, double[]> groups = new LinkedHashMap<>();
                groups.put("g", v);
                List<String> cats = new ArrayList<>();
                for (int i = 0; i < v.length; i++) cats.add("c" + i);
                Path bar = dir.resolve("bar" + k + ".png");
                Charts.groupedBar(bar, "bars", "layer", "value", cats, groups);
                ChartsTest.assertValidPng(bar);

                Map<String, double[]> samples = new LinkedHashMap<>();
                samples.put("clean", v);
                samples.put("noisy", new double[] {1, 2});
                Path hist = dir.resolve("hist" + k + ".png");
                Charts.histogram(hist, "scores", "score", samples, 20, true);
                ChartsTest.assertValidPng(hist);

                Path heat = dir.resolve("heat" + k++ + ".png");
                Charts.heatMap(heat, "cosine", "layer", "epoch", cats, List.of("1", "2"), new double[][] {v, v}, -1, 1);
                ChartsTest.assertValidPng(heat);
            }
        });
    }
}
