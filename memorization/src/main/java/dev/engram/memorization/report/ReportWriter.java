package dev.engram.memorization.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.engram.datasets.NoisyLabels;
import dev.engram.nn.io.AtomicFiles;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.RunLock;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code report.html} into a run folder: the run's configuration, noise and provenance, then one section per
 * analysis that has output (in {@link AnalysisKind} order, then any other analysis folders), each with the values
 * of its {@code results.json}, its charts (PNG embedded as data URIs and linked) and its CSV tables (first rows
 * shown, full file linked). The page is self-contained: no external CSS, scripts or images.
 */
public final class ReportWriter {
    /** Rows of a CSV table shown inline. */
    public static final int TABLE_ROWS = 25;
    /** Entries of a results.json summary shown. */
    public static final int SUMMARY_ENTRIES = 300;
    /** Array elements listed in full; longer arrays are summarized. */
    public static final int ARRAY_INLINE = 12;

    private ReportWriter() { }

    /** Writes {@code report.html} atomically and returns its path. */
    public static Path write(RunFolder run) throws IOException {
        Path out = run.reportFile();
        try (RunLock lock = RunLock.acquire(run.dir(), "engram report")) {
            AtomicFiles.writeString(out, render(run));
        }
        return out;
    }

    /** The report's HTML. */
    public static String render(RunFolder run) throws IOException {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Engram report: ")
                .append(esc(run.dir().getFileName() == null ? run.dir().toString() : run.dir().getFileName().toString()))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Engram run report</h1>\n<p class=\"meta\">Run folder <code>").append(esc(run.dir().toAbsolutePath().toString()))
                .append("</code> · report written ").append(esc(Instant.now().toString())).append("</p>\n");

        List<String> present = new ArrayList<>();
        List<String> names = run.analysisNames();
        for (AnalysisKind k : AnalysisKind.values()) if (names.contains(k.dirName()) && hasOutput(run, k.dirName())) present.add(k.dirName());
        for (String n : names) if (AnalysisKind.byDirName(n).isEmpty() && hasOutput(run, n)) present.add(n);

        h.append("<nav><strong>Contents:</strong> <a href=\"#run\">Run</a>");
        for (String n : present) h.append(" · <a href=\"#").append(esc(n)).append("\">").append(esc(title(n))).append("</a>");
        h.append("</nav>\n");

        runSection(h, run);
        if (present.isEmpty()) {
            h.append("<section><h2>Analyses</h2><p>No analysis has written output yet. Analyses write into <code>")
                    .append(esc(run.dir().resolve(RunFolder.ANALYSES).toString()))
                    .append("/&lt;name&gt;/</code>; run one (see <code>engram --help</code>) and then <code>engram report --run ")
                    .append(esc(run.dir().toString())).append("</code> again.</p></section>\n");
        }
        for (String n : present) analysisSection(h, run, n);
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static boolean hasOutput(RunFolder run, String name) throws IOException {
        return run.hasResults(name) || !run.analysisFiles(name, ".png").isEmpty()
                || !run.analysisFiles(name, ".csv").isEmpty();
    }

    private static String title(String name) {
        return AnalysisKind.byDirName(name).map(AnalysisKind::title).orElse(name);
    }

    private static void runSection(StringBuilder h, RunFolder run) throws IOException {
        ExperimentConfig c = run.config();
        h.append("<section id=\"run\">\n<h2>Run</h2>\n<p>").append(esc(c.dataset())).append(", model ")
                .append(esc(c.model())).append(", ").append(fmt(c.noiseFraction() * 100)).append("% label noise, seed ")
                .append(c.seed()).append(", ").append(c.epochs()).append(" epochs.</p>\n");
        h.append("<h3>Configuration</h3>\n<table class=\"kv\">\n");
        for (RecordComponent rc : ExperimentConfig.class.getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            kvRow(h, rc.getName(), String.valueOf(v));
        }
        h.append("</table>\n");

        h.append("<h3>Labels</h3>\n");
        try {
            NoisyLabels noise = run.noise();
            h.append("<p>").append(noise.size()).append(" training examples, ").append(noise.noisyCount())
                    .append(" with a corrupted label (").append(fmt(100.0 * noise.noisyCount() / Math.max(1, noise.size())))
                    .append("%); noise seed ").append(noise.seed()).append(".");
            if (!run.hasNoise()) h.append(" <strong>This run has no noisy examples</strong>: analyses that compare clean and noisy examples do not apply.");
            h.append("</p>\n");
        } catch (RunFolderException e) {
            h.append("<p class=\"warn\">").append(esc(e.getMessage())).append("</p>\n");
        }

        List<RunFolder.Checkpoint> cps = run.checkpoints();
        h.append("<h3>Checkpoints</h3>\n<p>");
        if (cps.isEmpty()) {
            h.append("None in <code>").append(esc(run.checkpointsDir().toString())).append("</code>.");
        } else {
            h.append(cps.size()).append(" checkpoint(s), epochs ").append(cps.get(0).epoch()).append("–")
                    .append(cps.get(cps.size() - 1).epoch()).append(".");
        }
        h.append("</p>\n");

        try {
            var prov = run.provenance();
            if (prov.isPresent()) {
                Provenance p = prov.get();
                h.append("<h3>Provenance</h3>\n<table class=\"kv\">\n");
                for (RecordComponent rc : Provenance.class.getRecordComponents()) {
                    Object v;
                    try {
                        v = rc.getAccessor().invoke(p);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                    String s = v instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : String.valueOf(v);
                    kvRow(h, rc.getName(), s);
                }
                h.append("</table>\n");
            }
        } catch (RunFolderException e) {
            h.append("<p class=\"warn\">").append(esc(e.getMessage())).append("</p>\n");
        }
        h.append("</section>\n");
    }

    private static void analysisSection(StringBuilder h, RunFolder run, String name) throws IOException {
        h.append("<section id=\"").append(esc(name)).append("\">\n<h2>").append(esc(title(name))).append("</h2>\n");
        AnalysisKind.byDirName(name).ifPresent(k -> h.append("<p class=\"desc\">").append(esc(k.description())).append("</p>\n"));

        if (run.hasResults(name)) {
            h.append("<h3>Results</h3>\n");
            try {
                JsonObject o = Results.readObject(run.resultsFile(name));
                Map<String, String> flat = new LinkedHashMap<>();
                flatten("", o, flat);
                h.append("<table class=\"kv\">\n");
                int shown = 0;
                for (Map.Entry<String, String> e : flat.entrySet()) {
                    if (shown++ == SUMMARY_ENTRIES) break;
                    kvRow(h, e.getKey(), e.getValue());
                }
                h.append("</table>\n");
                if (flat.size() > SUMMARY_ENTRIES) {
                    h.append("<p class=\"note\">").append(SUMMARY_ENTRIES).append(" of ").append(flat.size())
                            .append(" values shown.</p>\n");
                }
            } catch (IOException e) {
                h.append("<p class=\"warn\">").append(esc(e.getMessage())).append("</p>\n");
            }
            h.append("<p class=\"note\">Full values: <a href=\"").append(href(run, run.resultsFile(name))).append("\">")
                    .append(esc(RunFolder.ANALYSES + "/" + name + "/" + RunFolder.RESULTS)).append("</a></p>\n");
        }

        List<Path> pngs = run.analysisFiles(name, ".png");
        if (!pngs.isEmpty()) {
            h.append("<h3>Charts</h3>\n<div class=\"charts\">\n");
            for (Path p : pngs) {
                String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(p));
                h.append("<figure><a href=\"").append(href(run, p)).append("\"><img alt=\"").append(esc(p.getFileName().toString()))
                        .append("\" src=\"data:image/png;base64,").append(b64).append("\"></a><figcaption>")
                        .append(esc(p.getFileName().toString())).append("</figcaption></figure>\n");
            }
            h.append("</div>\n");
        }

        List<Path> csvs = run.analysisFiles(name, ".csv");
        if (!csvs.isEmpty()) {
            h.append("<h3>Tables</h3>\n");
            for (Path p : csvs) csvTable(h, run, p);
        }
        h.append("</section>\n");
    }

    private static void csvTable(StringBuilder h, RunFolder run, Path p) {
        CsvTable t;
        try {
            t = CsvTable.read(p);
        } catch (IOException e) {
            h.append("<p class=\"warn\">").append(esc(e.getMessage())).append("</p>\n");
            return;
        }
        h.append("<details").append(t.rowCount() <= TABLE_ROWS ? " open" : "").append("><summary><code>")
                .append(esc(p.getFileName().toString())).append("</code> (").append(t.rowCount()).append(" rows)</summary>\n");
        h.append("<div class=\"scroll\"><table class=\"data\">\n<tr>");
        for (String c : t.header()) h.append("<th>").append(esc(c)).append("</th>");
        h.append("</tr>\n");
        int n = Math.min(TABLE_ROWS, t.rowCount());
        for (int r = 0; r < n; r++) {
            h.append("<tr>");
            for (String v : t.rows().get(r)) h.append("<td>").append(esc(shortNumber(v))).append("</td>");
            h.append("</tr>\n");
        }
        h.append("</table></div>\n<p class=\"note\">");
        if (t.rowCount() > n) h.append("First ").append(n).append(" of ").append(t.rowCount()).append(" rows. ");
        h.append("Full table: <a href=\"").append(href(run, p)).append("\">").append(esc(p.getFileName().toString()))
                .append("</a></p>\n</details>\n");
    }

    /** Flattens a JSON tree into dotted keys; long numeric arrays become a summary (count, min, mean, max). */
    static void flatten(String prefix, JsonElement e, Map<String, String> out) {
        if (e == null || e.isJsonNull()) {
            out.put(prefix, "null");
        } else if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            out.put(prefix, p.isNumber() ? shortNumber(p.getAsString()) : p.getAsString());
        } else if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                flatten(prefix.isEmpty() ? m.getKey() : prefix + "." + m.getKey(), m.getValue(), out);
            }
        } else {
            JsonArray a = e.getAsJsonArray();
            boolean allPrimitive = true;
            boolean allNumbers = true;
            for (JsonElement x : a) {
                allPrimitive &= x.isJsonPrimitive() || x.isJsonNull();
                allNumbers &= x.isJsonNull() || (x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber());
            }
            if (allPrimitive && a.size() <= ARRAY_INLINE) {
                List<String> parts = new ArrayList<>();
                for (JsonElement x : a) parts.add(x.isJsonNull() ? "null" : x.getAsJsonPrimitive().isNumber()
                        ? shortNumber(x.getAsString()) : x.getAsString());
                out.put(prefix, "[" + String.join(", ", parts) + "]");
            } else if (allNumbers) {
                double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
                int count = 0;
                for (JsonElement x : a) {
                    if (x.isJsonNull()) continue;
                    double v = x.getAsDouble();
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    sum += v;
                    count++;
                }
                out.put(prefix, a.size() + " values" + (count == 0 ? "" : ": min " + fmt(min) + ", mean "
                        + fmt(sum / count) + ", max " + fmt(max)));
            } else if (allPrimitive) {
                out.put(prefix, a.size() + " values");
            } else {
                for (int i = 0; i < a.size(); i++) flatten(prefix + "[" + i + "]", a.get(i), out);
            }
        }
    }

    private static void kvRow(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n");
    }

    private static String href(RunFolder run, Path p) {
        String rel = run.dir().toAbsolutePath().relativize(p.toAbsolutePath()).toString().replace('\\', '/');
        StringBuilder sb = new StringBuilder();
        for (String seg : rel.split("/")) {
            if (sb.length() > 0) sb.append('/');
            sb.append(java.net.URLEncoder.encode(seg, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return esc(sb.toString());
    }

    /** Shortens a long decimal (e.g. 0.30000000000000004) to 6 significant digits; other text unchanged. */
    static String shortNumber(String s) {
        if (s.length() <= 10) return s;
        try {
            double d = Double.parseDouble(s);
            return fmt(d);
        } catch (NumberFormatException e) {
            return s;
        }
    }

    private static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        double a = Math.abs(d);
        if (a != 0 && (a < 1e-4 || a >= 1e7)) return String.format(Locale.ROOT, "%.4e", d);
        return new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** HTML-escapes text for element content and attribute values. */
    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1100px;
                   padding: 0 1em; color: #222; line-height: 1.45; }
            h1 { margin-bottom: 0.2em; }
            h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }
            nav { background: #f4f6f8; padding: 0.6em 1em; border-radius: 6px; }
            .meta, .note { color: #666; font-size: 0.9em; }
            .desc { font-style: italic; color: #444; }
            .warn { color: #a00; font-weight: bold; }
            table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
            table.kv th { text-align: left; padding: 2px 1.2em 2px 0; font-weight: 600; vertical-align: top; }
            table.kv td { padding: 2px 0; font-family: ui-monospace, monospace; word-break: break-all; }
            table.data th, table.data td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; font-family: ui-monospace, monospace; }
            table.data th { background: #eef2f5; }
            .scroll { overflow-x: auto; }
            .charts { display: flex; flex-wrap: wrap; gap: 1em; }
            figure { margin: 0; max-width: 100%; }
            figure img { max-width: 520px; width: 100%; border: 1px solid #ddd; }
            figcaption { font-size: 0.85em; color: #555; text-align: center; }
            code { background: #f4f4f4; padding: 0 3px; border-radius: 3px; }
            """;
}
