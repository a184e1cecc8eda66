package dev.engram.memorization.sweep;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The aggregate of a sweep, into {@code report/} of the sweep folder: every headline number of every run (the
 * training's final accuracies and each analysis' summary rows stored in its results.json) per run
 * ({@code runs.csv}), and their mean and sample standard deviation over the seeds of each point of the other axes
 * ({@code summary.csv}, one row per point, ready for {@code pandas.read_csv}); an HTML page with the table, noise-rate
 * curves when {@code noiseFraction} is an axis, and the (p_gen, p_mem) heatmaps of example-tied dropout (paper Table
 * 2) when runs have ETD results. Runs without results are listed as missing, not averaged.
 */
public final class SweepReport {
    private SweepReport() { }

    /** One point of the non-seed axes with its runs' metrics. */
    record Group(Map<String, Object> point, List<SweepRun> runs, Map<String, List<Double>> values) { }

    /** Writes {@code report/} and prints the table's size and missing runs; returns the HTML page. */
    public static Path write(Sweep sweep, PrintWriter out) throws IOException {
        Path dir = sweep.dir().resolve("report");
        Files.createDirectories(dir);
        Map<SweepRun, Map<String, Double>> perRun = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        Map<String, Boolean> percent = new LinkedHashMap<>(); // metric: whether a run gives it as a percentage
        Map<SweepRun, Map<String, SummaryRow.Figure>> figures = new LinkedHashMap<>();
        for (SweepRun r : sweep.runs()) {
            Map<String, SummaryRow.Figure> m = metrics(sweep.runDir(r));
            if (m.isEmpty()) {
                missing.add(r.name());
                continue;
            }
            figures.put(r, m);
            m.forEach((k, f) -> percent.merge(k, f.percent(), Boolean::logicalOr));
        }
        // a metric's column is named once for all runs: "(%)" when any run shows it as a percentage (a run whose
        // value is "n/a" cannot say)
        Map<String, String> column = new LinkedHashMap<>();
        percent.forEach((k, pct) -> column.put(k, pct ? k + " (%)" : k));
        figures.forEach((r, m) -> {
            Map<String, Double> v = new LinkedHashMap<>();
            m.forEach((k, f) -> v.put(column.get(k), f.value()));
            perRun.put(r, v);
        });
        List<String> metrics = new ArrayList<>(column.values());
        List<String> axisKeys = new ArrayList<>();
        for (SweepRun r : sweep.runs()) for (String k : r.axes().keySet()) if (!axisKeys.contains(k)) axisKeys.add(k);
        List<String> groupKeys = axisKeys.stream().filter(k -> !k.equals("seed")).toList();

        CsvTable runs = new CsvTable(concat(List.of("run"), axisKeys, metrics));
        Map<List<Object>, Group> groups = new LinkedHashMap<>();
        for (var e : perRun.entrySet()) {
            SweepRun r = e.getKey();
            List<Object> row = new ArrayList<>(List.of(r.name()));
            for (String k : axisKeys) row.add(r.axes().get(k));
            for (String m : metrics) row.add(e.getValue().get(m));
            runs.addRow(row.toArray());
            Map<String, Object> point = new LinkedHashMap<>();
            for (String k : groupKeys) point.put(k, r.axes().get(k));
            Group g = groups.computeIfAbsent(new ArrayList<>(point.values()),
                    k -> new Group(point, new ArrayList<>(), new LinkedHashMap<>()));
            g.runs().add(r);
            e.getValue().forEach((m, v) -> g.values().computeIfAbsent(m, x -> new ArrayList<>()).add(v));
        }
        runs.write(dir.resolve("runs.csv"));

        List<String> header = new ArrayList<>(groupKeys);
        header.add("runs");
        for (String m : metrics) {
            header.add(m + " mean");
            header.add(m + " std");
            header.add(m + " n");
        }
        CsvTable summary = new CsvTable(header);
        for (Group g : groups.values()) {
            List<Object> row = new ArrayList<>(g.point().values());
            row.add(g.runs().size());
            for (String m : metrics) {
                List<Double> v = g.values().getOrDefault(m, List.of());
                double[] ms = meanStd(v);
                row.add(ms[0]);
                row.add(ms[1]);
                row.add(finiteCount(v)); // a run without this analysis' results, or "n/a", is not in the mean
            }
            summary.addRow(row.toArray());
        }
        summary.write(dir.resolve("summary.csv"));

        List<String> charts = new ArrayList<>();
        if (groupKeys.contains("noiseFraction")) charts.addAll(noiseCurves(dir, groups, groupKeys, metrics));
        charts.addAll(etdHeatmaps(dir, sweep, perRun.keySet()));

        Path html = dir.resolve("report.html");
        dev.engram.nn.io.AtomicFiles.writeString(html, html(sweep, groupKeys, metrics, groups, charts, missing));
        List<String> partial = partial(perRun, metrics);
        out.printf(Locale.ROOT, "sweep %s: %d runs with results in %d groups, %d metrics; %s%n", sweep.name(),
                perRun.size(), groups.size(), metrics.size(), missing.isEmpty() ? "no run missing"
                        : missing.size() + " runs without results yet: " + missing);
        if (!partial.isEmpty()) {
            out.printf(Locale.ROOT, "%d runs lack some metrics (analyses without results yet, or n/a), left out of those"
                    + " metrics' means (summary.csv: column 'METRIC n'): %s%n", partial.size(), partial);
        }
        out.println("table: " + dir.resolve("summary.csv") + " (per run: " + dir.resolve("runs.csv") + ")");
        return html;
    }

    /**
     * The runs without a finite value of every metric that some run has (a metric no run has, such as a std over one
     * seed, is not applicable rather than lacking), each with how many it lacks.
     */
    static List<String> partial(Map<SweepRun, Map<String, Double>> perRun, List<String> metrics) {
        List<String> applicable = metrics.stream().filter(m -> perRun.values().stream().anyMatch(v -> finite(v.get(m))))
                .toList();
        List<String> out = new ArrayList<>();
        perRun.forEach((r, v) -> {
            long lacking = applicable.stream().filter(m -> !finite(v.get(m))).count();
            if (lacking > 0) out.add(r.name() + " (" + lacking + " of " + applicable.size() + ")");
        });
        return out;
    }

    private static boolean finite(Double v) {
        return v != null && Double.isFinite(v);
    }

    /**
     * The headline numbers of a run folder: the training's final accuracies and every number of every analysis'
     * stored summary rows ({@link SummaryRow#numbers()}, or for results written before rows carried them, the
     * numbers of the value's text, {@link SummaryRow#numbersOf}). A row's first number, its headline, is named
     * {@code analysis: label}, its further numbers {@code analysis: label [2]}, {@code [3]} …, by their place in the
     * row, which does not depend on the values (an "n/a" keeps its place, an AUROC's inverted value is no number of
     * its own). Empty when the run has not finished training.
     */
    static Map<String, SummaryRow.Figure> metrics(Path runDir) throws IOException {
        Map<String, SummaryRow.Figure> m = new LinkedHashMap<>();
        Path analyses = runDir.resolve(RunFolder.ANALYSES);
        Path training = analyses.resolve("training").resolve(RunFolder.RESULTS);
        if (!Files.isRegularFile(training)) return m;
        JsonObject t = Results.readObject(training);
        for (String k : List.of("finalCleanTrainAccuracy", "finalNoisyTrainAccuracy", "finalTestAccuracy")) {
            if (t.has(k) && t.get(k).isJsonPrimitive()) m.put("training: " + k, SummaryRow.Figure.of(t.get(k).getAsDouble()));
        }
        List<String> names = new ArrayList<>();
        try (var s = Files.list(analyses)) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().forEach(names::add);
        }
        for (String name : names) {
            Path f = analyses.resolve(name).resolve(RunFolder.RESULTS);
            if (name.equals("training") || !Files.isRegularFile(f)) continue;
            JsonElement rows = Results.readObject(f).get(Results.SUMMARY_ROWS);
            if (rows == null || !rows.isJsonArray()) continue;
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (JsonElement e : rows.getAsJsonArray()) {
                JsonObject r = e.getAsJsonObject();
                String label = r.get("label").getAsString();
                int n = seen.merge(label, 1, Integer::sum);
                String base = name + ": " + label + (n > 1 ? " (" + n + ")" : "");
                List<SummaryRow.Figure> nums = numbers(r);
                for (int i = 0; i < nums.size(); i++) m.put(base + (i == 0 ? "" : " [" + (i + 1) + "]"), nums.get(i));
            }
        }
        return m;
    }

    /** The numbers of a stored summary row: its {@code numbers}, else (older results) those of its value's text. */
    private static List<SummaryRow.Figure> numbers(JsonObject row) {
        JsonElement stored = row.get("numbers");
        if (stored == null || !stored.isJsonArray()) return SummaryRow.numbersOf(row.get("value").getAsString());
        List<SummaryRow.Figure> out = new ArrayList<>();
        for (JsonElement e : stored.getAsJsonArray()) {
            JsonObject f = e.getAsJsonObject();
            JsonElement v = f.get("value"), pct = f.get("percent"); // NaN is stored as null
            out.add(new SummaryRow.Figure(v == null || v.isJsonNull() ? Double.NaN : v.getAsDouble(),
                    pct != null && !pct.isJsonNull() && pct.getAsBoolean()));
        }
        return out;
    }

    /** The number of finite values: those {@link #meanStd} averages. */
    static int finiteCount(List<Double> v) {
        return (int) v.stream().filter(Double::isFinite).count();
    }

    /** Mean and sample standard deviation (n − 1; NaN for one value) of the finite values. */
    static double[] meanStd(List<Double> v) {
        double[] f = v.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).toArray();
        if (f.length == 0) return new double[] {Double.NaN, Double.NaN};
        double mean = 0;
        for (double x : f) mean += x;
        mean /= f.length;
        if (f.length == 1) return new double[] {mean, Double.NaN};
        double ss = 0;
        for (double x : f) ss += (x - mean) * (x - mean);
        return new double[] {mean, Math.sqrt(ss / (f.length - 1))};
    }

    /** One chart per training metric: its mean over seeds against the noise rate, a line per point of the other axes. */
    private static List<String> noiseCurves(Path dir, Map<List<Object>, Group> groups, List<String> groupKeys,
                                            List<String> metrics) throws IOException {
        List<String> files = new ArrayList<>();
        List<String> others = groupKeys.stream().filter(k -> !k.equals("noiseFraction")).toList();
        int k = 0;
        for (String metric : metrics) {
            if (!metric.startsWith("training: ")) continue;
            Map<String, TreeMap<Double, Double>> lines = new LinkedHashMap<>();
            for (Group g : groups.values()) {
                if (!(g.point().get("noiseFraction") instanceof Number noise)) continue;
                StringBuilder name = new StringBuilder();
                for (String o : others) name.append(name.length() == 0 ? "" : ", ").append(o).append('=').append(Sweep.format(g.point().get(o)));
                double mean = meanStd(g.values().getOrDefault(metric, List.of()))[0];
                if (Double.isFinite(mean)) lines.computeIfAbsent(name.length() == 0 ? metric.substring(10) : name.toString(),
                        x -> new TreeMap<>()).put(noise.doubleValue(), mean);
            }
            if (lines.isEmpty()) continue;
            List<Charts.Series> series = new ArrayList<>();
            lines.forEach((n, pts) -> series.add(Charts.Series.of(n, pts.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
                    pts.values().stream().mapToDouble(Double::doubleValue).toArray())));
            String file = "noise-" + (++k) + ".png";
            Charts.line(dir.resolve(file), metric.substring(10) + " against the noise rate (mean over seeds)",
                    "noise fraction", "accuracy", series);
            files.add(file);
        }
        return files;
    }

    /** Heatmaps over (p_gen, p_mem) of example-tied dropout's accuracies after dropping, mean over runs. */
    private static List<String> etdHeatmaps(Path dir, Sweep sweep, Set<SweepRun> runs) throws IOException {
        Map<String, Map<List<Double>, List<Double>>> cells = new LinkedHashMap<>();
        for (SweepRun r : runs) {
            Path f = sweep.runDir(r).resolve(RunFolder.ANALYSES).resolve("etd").resolve(RunFolder.RESULTS);
            if (!Files.isRegularFile(f)) continue;
            JsonElement outcomes = Results.readObject(f).get("outcomes");
            if (outcomes == null || !outcomes.isJsonArray()) continue;
            for (JsonElement e : outcomes.getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                if (!"ETD".equals(o.get("method").getAsString()) || !o.has("after")) continue;
                List<Double> key = List.of(o.get("pGen").getAsDouble(), o.get("pMem").getAsDouble());
                JsonObject after = o.getAsJsonObject("after");
                for (String m : List.of("noisyTrain", "test", "cleanTrain")) {
                    if (after.has(m)) cells.computeIfAbsent(m, x -> new LinkedHashMap<>())
                            .computeIfAbsent(key, x -> new ArrayList<>()).add(after.get(m).getAsDouble());
                }
            }
        }
        List<String> files = new ArrayList<>();
        for (var c : cells.entrySet()) {
            TreeSet<Double> gens = new TreeSet<>(), mems = new TreeSet<>();
            c.getValue().keySet().forEach(k -> {
                gens.add(k.get(0));
                mems.add(k.get(1));
            });
            List<Double> g = new ArrayList<>(gens), mm = new ArrayList<>(mems);
            double[][] v = new double[mm.size()][g.size()];
            for (int i = 0; i < mm.size(); i++) {
                for (int j = 0; j < g.size(); j++) {
                    v[i][j] = meanStd(c.getValue().getOrDefault(List.of(g.get(j), mm.get(i)), List.of()))[0];
                }
            }
            String file = "etd-" + c.getKey() + ".png";
            Charts.heatMap(dir.resolve(file), "Example-tied dropout, " + c.getKey() + " accuracy after dropping (mean over runs)",
                    "p_gen", "p_mem", g.stream().map(Sweep::format).toList(), mm.stream().map(Sweep::format).toList(), v, 0, 1);
            files.add(file);
        }
        return files;
    }

    private static String html(Sweep sweep, List<String> groupKeys, List<String> metrics, Map<List<Object>, Group> groups,
                               List<String> charts, List<String> missing) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep ")
                .append(ReportWriter.esc(sweep.name())).append("</title>\n<style>\n").append(ReportWriter.css())
                .append("</style>\n</head>\n<body>\n<h1>Sweep ").append(ReportWriter.esc(sweep.name())).append("</h1>\n");
        h.append("<p>").append(sweep.runs().size()).append(" runs in <code>").append(ReportWriter.esc(sweep.dir().toString()))
                .append("</code>; mean ± sample standard deviation over the runs of each point (seeds); (n=k) where only k of them have the metric. Data: <a href=\"summary.csv\">summary.csv</a>, <a href=\"runs.csv\">runs.csv</a>.</p>\n");
        if (!missing.isEmpty()) {
            h.append("<p><strong>Runs without results yet:</strong> ").append(ReportWriter.esc(String.join(", ", missing))).append("</p>\n");
        }
        h.append("<section id=\"summary\"><h2>Summary</h2>\n<div style=\"overflow-x:auto\"><table>\n<tr><th>metric</th>");
        for (Group g : groups.values()) {
            StringBuilder name = new StringBuilder();
            g.point().forEach((k, v) -> name.append(name.length() == 0 ? "" : ", ").append(k).append('=').append(Sweep.format(v)));
            h.append("<th>").append(ReportWriter.esc(name.length() == 0 ? "all runs" : name.toString())).append(" (")
                    .append(g.runs().size()).append(")</th>");
        }
        h.append("</tr>\n");
        for (String m : metrics) {
            h.append("<tr><td>").append(ReportWriter.esc(m)).append("</td>");
            for (Group g : groups.values()) {
                List<Double> v = g.values().getOrDefault(m, List.of());
                double[] ms = meanStd(v);
                int n = finiteCount(v);
                h.append("<td>").append(Double.isNaN(ms[0]) ? "–" : String.format(Locale.ROOT, "%.4g", ms[0])
                        + (Double.isNaN(ms[1]) ? "" : String.format(Locale.ROOT, " ± %.2g", ms[1]))
                        + (n < g.runs().size() ? " (n=" + n + ")" : "")).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table></div></section>\n");
        for (String c : charts) {
            h.append("<figure><img src=\"").append(ReportWriter.esc(c)).append("\" alt=\"").append(ReportWriter.esc(c))
                    .append("\"></figure>\n");
        }
        h.append("<footer>Written ").append(java.time.Instant.now()).append(" by <code>engram sweep report</code>.</footer>\n</body>\n</html>\n");
        return h.toString();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out;
    }
}
