package dev.engram.memorization.sweep;

import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.scores.Detections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The aggregate report puts each metric in one column for all runs, whatever the shape of each run's summary text:
 * an AUROC below 0.5 shown with its inverted value, a part of a row that is "n/a".
 */
class SweepReportColumnsTest {
    @TempDir
    Path tmp;

    private static final String AUROC = "AUROC vog (higher = noisy)";
    private static final String FLIPPED = "memorized flipped with < 10 units: noisy / clean";

    /** Three seeds of one point; run k's analyses get the summary rows {@code rows[k]} (objects as stored). */
    private List<String> summaryCsv(Map<String, List<?>>[] rows) throws IOException {
        return summaryCsv(rows, new StringWriter());
    }

    /** {@link #summaryCsv(Map[])} with the report's console output into {@code console}. */
    private List<String> summaryCsv(Map<String, List<?>>[] rows, StringWriter console) throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, "name: cols\npreset: demo\nseeds: [1, 2, 3]\n");
        Sweep s = Sweep.plan(SweepSpec.read(f), Files.createTempDirectory(tmp, "d"), SweepPlanTest.COMMANDS);
        for (SweepRun r : s.runs()) {
            Path a = s.runDir(r).resolve("analyses");
            Files.createDirectories(a.resolve("training"));
            Results.writeJson(a.resolve("training").resolve("results.json"), Map.of("finalTestAccuracy", 0.9));
            for (var e : rows[r.index()].entrySet()) {
                Files.createDirectories(a.resolve(e.getKey()));
                Results.writeJson(a.resolve(e.getKey()).resolve("results.json"), Map.of(Results.SUMMARY_ROWS, e.getValue()));
            }
        }
        SweepReport.write(s, new PrintWriter(console, true));
        return Files.readAllLines(s.dir().resolve("report").resolve("summary.csv"));
    }

    /** A row as results.json of an older version stored it: label and text only. */
    private static Map<String, String> text(String label, String value) {
        return Map.of("label", label, "value", value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, List<?>>[] runs(Map<String, List<?>>... runs) {
        return runs;
    }

    private static double mean(List<String> csv, String metric) {
        List<String> header = List.of(csv.get(0).split(","));
        int i = header.indexOf(metric + " mean");
        assertThat(i).as(metric + " in " + header).isPositive();
        return Double.parseDouble(csv.get(1).split(",")[i]);
    }

    private static String column(List<String> csv, String name) {
        List<String> header = List.of(csv.get(0).split(","));
        assertThat(header).contains(name);
        return csv.get(1).split(",", -1)[header.indexOf(name)];
    }

    /** A metric no run has (a std over one seed) is not applicable: it makes no run "lack" it. */
    @Test
    void onlyMetricsSomeRunHasCountAsLacking() {
        var config = dev.engram.memorization.run.ExperimentConfig.cpuDemo();
        SweepRun a = new SweepRun(0, "seed=1", Map.of("seed", 1), config, List.of());
        SweepRun b = new SweepRun(1, "seed=2", Map.of("seed", 2), config, List.of());
        Map<SweepRun, Map<String, Double>> perRun = new java.util.LinkedHashMap<>();
        perRun.put(a, Map.of("auroc", 0.6, "std", Double.NaN));
        perRun.put(b, Map.of("std", Double.NaN));
        assertThat(SweepReport.partial(perRun, List.of("auroc", "std"))).containsExactly("seed=2 (1 of 1)");
        perRun.put(b, Map.of("auroc", 0.7, "std", Double.NaN));
        assertThat(SweepReport.partial(perRun, List.of("auroc", "std"))).isEmpty();
    }

    /**
     * A run whose analysis has no results yet is left out of that analysis' metrics, and the summary says over how
     * many runs each mean is: by hand, AUROCs 0.60 and 0.70 of seeds 1 and 3 give mean 0.65, std sqrt(0.005), n 2,
     * while the training accuracy is over all 3 runs; one run alone has std NaN and n 1.
     */
    @Test
    void aMetricSomeRunsLackCountsOnlyTheRunsThatHaveIt() throws IOException {
        StringWriter console = new StringWriter();
        List<String> csv = summaryCsv(runs(Map.of("scores", List.of(text(AUROC, "0.6000"))), Map.of(),
                Map.of("scores", List.of(text(AUROC, "0.7000")))), console);
        assertThat(column(csv, "runs")).isEqualTo("3");
        assertThat(Double.parseDouble(column(csv, "scores: " + AUROC + " mean"))).isCloseTo(0.65, within(1e-12));
        assertThat(Double.parseDouble(column(csv, "scores: " + AUROC + " std"))).isCloseTo(Math.sqrt(0.005), within(1e-12));
        assertThat(column(csv, "scores: " + AUROC + " n")).isEqualTo("2");
        assertThat(column(csv, "training: finalTestAccuracy n")).isEqualTo("3");
        assertThat(console.toString()).contains("1 runs lack some metrics").contains("seed=2 (1 of 2)");

        List<String> one = summaryCsv(runs(Map.of("scores", List.of(text(AUROC, "0.6000"))), Map.of(), Map.of()),
                new StringWriter());
        assertThat(column(one, "scores: " + AUROC + " std")).isEqualTo("NaN");
        assertThat(column(one, "scores: " + AUROC + " n")).isEqualTo("1");
    }

    private static void assertOneColumnPerMetric(List<String> csv) {
        assertThat(csv).hasSize(2);
        String header = csv.get(0);
        assertThat(header).as("no AUROC split into [1]/[2], no inverted AUROC column")
                .doesNotContain("[1]").doesNotContain("inverted").doesNotContain(AUROC + " [2]");
        assertThat(header.split(",")).as(header).containsExactly("runs", "training: finalTestAccuracy mean",
                "training: finalTestAccuracy std", "training: finalTestAccuracy n",
                "flipping: " + FLIPPED + " (%) mean", "flipping: " + FLIPPED + " (%) std", "flipping: " + FLIPPED + " (%) n",
                "flipping: " + FLIPPED + " [2] (%) mean", "flipping: " + FLIPPED + " [2] (%) std",
                "flipping: " + FLIPPED + " [2] (%) n",
                "scores: " + AUROC + " mean", "scores: " + AUROC + " std", "scores: " + AUROC + " n");
        assertThat(mean(csv, "scores: " + AUROC)).as("the AUROCs of all runs, the inverted one as it is")
                .isCloseTo((0.62 + 0.4625 + 0.70) / 3, within(1e-9));
        assertThat(mean(csv, "flipping: " + FLIPPED + " (%)")).as("n/a left out").isCloseTo(37.5, within(1e-9));
        assertThat(column(csv, "flipping: " + FLIPPED + " (%) n")).as("over the 2 runs that have it").isEqualTo("2");
        assertThat(column(csv, "flipping: " + FLIPPED + " [2] (%) n")).isEqualTo("3");
        assertThat(mean(csv, "flipping: " + FLIPPED + " [2] (%)")).isCloseTo(100.0, within(1e-9));
    }

    @Test
    void textRowsOfOlderResultsKeepTheirNumbersInPlace() throws IOException {
        List<String> csv = summaryCsv(runs(
                Map.of("scores", List.of(text(AUROC, "0.6200")), "flipping", List.of(text(FLIPPED, "50.00% / 100.00%"))),
                Map.of("scores", List.of(text(AUROC, "0.4625 (inverted: 0.5375)")),
                        "flipping", List.of(text(FLIPPED, "n/a / 100.00%"))),
                Map.of("scores", List.of(text(AUROC, "0.7000")), "flipping", List.of(text(FLIPPED, "25.00% / 100.00%")))));
        assertOneColumnPerMetric(csv);
    }

    @Test
    void storedNumbersOfTheRowsAreReadAndMixWithTextRows() throws IOException {
        SummaryRow inverted = Detections.row(new Detection("vog", "higher", 0.4625, 0.3));
        assertThat(inverted.value()).as("the text still shows the inverted value").isEqualTo("0.4625 (inverted: 0.5375)");
        List<String> csv = summaryCsv(runs(
                Map.of("scores", List.of(Detections.row(new Detection("vog", "higher", 0.62, 0.3))),
                        "flipping", List.of(SummaryRow.percentages(FLIPPED, 0.5, 1.0))),
                Map.of("scores", List.of(inverted),
                        "flipping", List.of(new SummaryRow(FLIPPED, SummaryRow.pct(Double.NaN) + " / " + SummaryRow.pct(1.0)))),
                Map.of("scores", List.of(text(AUROC, "0.7000")), "flipping", List.of(text(FLIPPED, "25.00% / 100.00%")))));
        assertOneColumnPerMetric(csv);
    }
}
