package dev.engram.memorization.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.engram.datasets.NoisyLabels;
import dev.engram.nn.io.AtomicFiles;
import dev.engram.memorization.analysis.PlainTask;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.memorization.run.RunLock;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code report.html} into a run folder. The first screen says what was run (dataset, model, label noise, seed,
 * epochs, device, wall time) and lists the headline findings, each with its number, the paper's number beside it where
 * the paper has one, and a link to its section. Then one section per analysis that has output (in {@link AnalysisKind}
 * order, then any other analysis folders): what the analysis asks, a compact table of its key numbers (the summary
 * rows {@code Analyses.execute} stores in results.json under {@link Results#SUMMARY_ROWS}), its aligned text tables
 * (files ending in {@value #TEXT_TABLE}) in full, its figures at full width
 * captioned with their chart titles ({@link PngTitle}), and links to its CSV and JSON files. The run's configuration
 * and provenance close the page. The page is self-contained: no scripts, no external CSS, images embedded as data
 * URIs; links point at files inside the run folder.
 */
public final class ReportWriter {
    /** Reference numbers of Maini et al. (2023), from docs/methods.md section 7, by analysis and summary-row label. */
    private static final List<String[]> PAPER = List.of(
            new String[] {"flipping", "memorized flipped with < 10 units", "over 90% of mislabeled examples (§4.1)"},
            new String[] {"flipping", "memorized mean units to flip", "around 5 units (abstract)"},
            new String[] {"etd", "ETD after dropping", "noisy 100% → 0.1% on MNIST (3.1% CIFAR-10); clean −0.8 points on MNIST (§4.2)"},
            new String[] {"grad-accounting", "per-example grad norm", "about 10× per example"},
            new String[] {"grad-accounting", "cosine(clean, noisy gradient)", "about −0.75 or lower for most layers and epochs"},
            new String[] {"rewinding", "rewind one group", "rewinding one layer to before epoch 30 does not remove memorization (Fig. 3)"},
            new String[] {"retraining", "retrain one group", "noisy labels recovered for most layers"});

    /** Suffix of the aligned text tables an analysis writes; the report shows them in full, before the figures. */
    static final String TEXT_TABLE = "-table.txt";

    /** Most headline rows per analysis on the first screen; the section lists all. */
    public static final int HEADLINE_ROWS = 2;

    private ReportWriter() { }

    /** Writes {@code report.html} atomically and returns its path. */
    public static Path write(RunFolder run) throws IOException {
        Path out = run.reportFile();
        try (RunLock lock = RunLock.acquire(run.dir(), "engram report")) {
            AtomicFiles.writeString(out, render(run));
        }
        return out;
    }

    /** One headline number of a section, with the paper's value where known. */
    record Row(String label, String value, String paper) { }

    /** The report's HTML. */
    public static String render(RunFolder run) throws IOException {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Engram report: ")
                .append(esc(run.dir().getFileName() == null ? run.dir().toString() : run.dir().getFileName().toString()))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Engram run report</h1>\n");

        List<String> present = new ArrayList<>();
        List<String> names = run.analysisNames();
        for (AnalysisKind k : AnalysisKind.values()) if (names.contains(k.dirName()) && hasOutput(run, k.dirName())) present.add(k.dirName());
        for (String n : names) if (AnalysisKind.byDirName(n).isEmpty() && hasOutput(run, n)) present.add(n);
        Map<String, List<Row>> rows = new LinkedHashMap<>();
        Map<String, String> problems = new LinkedHashMap<>();
        for (String n : present) {
            try {
                rows.put(n, summaryRows(run, n));
            } catch (IOException | RuntimeException e) {
                rows.put(n, List.of());
                problems.put(n, e.getMessage());
            }
        }

        summarySection(h, run, present, rows);
        h.append("<nav id=\"contents\"><strong>Sections:</strong> <a href=\"#summary\">Summary</a>");
        for (String n : present) h.append(" · <a href=\"#").append(esc(n)).append("\">").append(esc(title(n))).append("</a>");
        h.append(" · <a href=\"#run\">Run details</a></nav>\n");
        if (present.isEmpty()) {
            h.append("<section id=\"no-analyses\"><h2>Analyses</h2><p>No analysis has written output yet. Analyses write into <code>")
                    .append(esc(run.dir().resolve(RunFolder.ANALYSES).toString()))
                    .append("/&lt;name&gt;/</code>; run one (see <code>engram --help</code>) and then <code>engram report --run ")
                    .append(esc(run.dir().toString())).append("</code> again.</p></section>\n");
        }
        for (String n : present) analysisSection(h, run, n, rows.get(n), problems.get(n));
        runSection(h, run);
        h.append("<footer>Report written ").append(esc(Instant.now().toString())).append(" from <code>")
                .append(esc(run.dir().toAbsolutePath().toString())).append("</code>.</footer>\n");
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

    /**
     * The headline rows of analysis {@code name}: those stored under {@link Results#SUMMARY_ROWS}; for the training
     * run (written by {@code engram train}, not through the analysis contract) its final accuracies and time.
     */
    private static List<Row> summaryRows(RunFolder run, String name) throws IOException {
        if (!run.hasResults(name)) return List.of();
        JsonObject o = Results.readObject(run.resultsFile(name));
        List<Row> out = new ArrayList<>();
        JsonElement stored = o.get(Results.SUMMARY_ROWS);
        if (stored != null && stored.isJsonArray()) {
            for (JsonElement e : stored.getAsJsonArray()) {
                if (!e.isJsonObject()) continue;
                JsonObject r = e.getAsJsonObject();
                String label = string(r, "label");
                String value = string(r, "value");
                if (label != null && value != null) out.add(new Row(label, value, paper(name, label)));
            }
        } else if (name.equals(AnalysisKind.TRAINING.dirName())) {
            Double clean = number(o, "finalCleanTrainAccuracy");
            Double noisy = number(o, "finalNoisyTrainAccuracy");
            Double test = number(o, "finalTestAccuracy");
            if (test != null && o.has("finalCleanTrainAccuracy") && o.has("finalNoisyTrainAccuracy")) {
                // null (written for NaN): no clean examples (random labels) or no noisy ones, shown as n/a
                out.add(new Row("final accuracy: clean train / noisy train (given label, i.e. memorized) / test",
                        pct(clean == null ? Double.NaN : clean) + " / " + pct(noisy == null ? Double.NaN : noisy) + " / "
                                + pct(test), null));
            }
            Double secs = number(o, "trainingSeconds");
            if (secs != null) out.add(new Row("time in epochs (training steps and each epoch's evaluation)", PlainTask.durationWithTenths(secs), null));
            Double zeta = number(o, "finalSusceptibility");
            if (zeta != null && Double.isFinite(zeta)) {
                out.add(new Row("susceptibility ζ to random labels, final (mean loss decrease of one probe step)",
                        String.format(Locale.ROOT, "%.4f", zeta), null));
            }
        }
        return out;
    }

    private static final java.util.regex.Pattern SHARD_FOLDER = java.util.regex.Pattern.compile("(.+)\\.shard-(\\d+)-of-(\\d+)");

    /**
     * Work in the run's analyses folder that no result shows yet: shard parts not merged into their analysis, and the
     * kept progress of an interrupted resumable analysis (a hidden folder other than staging and replaced files).
     */
    static List<String> unfinishedWork(RunFolder run) throws IOException {
        Path adir = run.dir().resolve(RunFolder.ANALYSES);
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(adir)) return out;
        record Sharded(String analysis, String count) { }
        Map<Sharded, List<String>> done = new java.util.LinkedHashMap<>(); // folders are listed in sorted order
        List<Path> entries;
        try (var s = Files.list(adir)) {
            entries = s.filter(Files::isDirectory).sorted().toList();
        }
        for (Path d : entries) {
            String n = d.getFileName().toString();
            java.util.regex.Matcher m = SHARD_FOLDER.matcher(n);
            if (m.matches() && Files.isRegularFile(d.resolve(dev.engram.memorization.analysis.Analyses.PART))) {
                done.computeIfAbsent(new Sharded(m.group(1), m.group(3)), k -> new ArrayList<>()).add(m.group(2));
            } else if (n.startsWith(".") && n.endsWith(".levels")) { // a resumable analysis' per-level progress
                String name = n.substring(1, n.length() - ".levels".length());
                out.add(name + ": an interrupted run left its progress in " + d + "; run the analysis again with the same"
                        + " options to continue it");
            }
        }
        for (var e : done.entrySet()) {
            String name = e.getKey().analysis();
            if (run.hasResults(name)) continue; // merged (or computed unsharded) already
            out.add(name + ": " + e.getValue().size() + " of " + e.getKey().count() + " shards done ("
                    + String.join(", ", e.getValue()) + "), not merged into results yet; when all are done: engram merge"
                    + " --run " + run.dir() + " --analysis " + name);
        }
        return out;
    }

    private static String paper(String name, String label) {
        for (String[] p : PAPER) if (p[0].equals(name) && label.startsWith(p[1])) return p[2];
        return null;
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static Double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : null;
    }

    private static void summarySection(StringBuilder h, RunFolder run, List<String> present, Map<String, List<Row>> rows)
            throws IOException {
        ExperimentConfig c = run.config();
        h.append("<section id=\"summary\">\n<p class=\"what\">");
        h.append("<strong>").append(esc(c.dataset().contains(":") ? c.dataset() : c.dataset().toUpperCase(Locale.ROOT))).append("</strong>, model <strong>")
                .append(esc(c.model())).append("</strong>, <strong>").append(fmt(c.noiseFraction() * 100))
                .append("% label noise</strong>");
        if (c.noiseFraction() == 1) h.append(" (random labels)");
        try {
            NoisyLabels noise = run.noise();
            h.append(" (").append(noise.noisyCount()).append(" of ").append(noise.size()).append(" training examples)");
        } catch (RunFolderException e) {
            // the noise file is reported in the run details
        }
        if (c.corruptsInputs()) {
            h.append(", <strong>inputs corrupted: ").append(esc(c.inputCorruption()))
                    .append("</strong> (training and test images, docs/methods.md §8.10)");
        }
        h.append(", seed ").append(c.seed()).append(", ").append(c.epochs()).append(" epochs, device <strong>")
                .append(esc(c.device())).append("</strong>");
        try {
            var prov = run.provenance();
            if (prov.isPresent()) {
                Provenance p = prov.get();
                String wall = wallTime(p);
                if (wall != null) h.append(", wall time of the train command <strong>").append(esc(wall)).append("</strong>");
                h.append(" (<code>").append(esc(String.join(" ", p.commandLine()))).append("</code>, ")
                        .append(esc(p.cpuModel())).append(", ").append(p.cores()).append(" cores)");
            }
        } catch (RunFolderException e) {
            // reported in the run details
        }
        h.append(".</p>\n");
        if (!run.hasNoise()) {
            h.append("<p class=\"warn\">This run has no noisy examples: analyses that compare clean and noisy examples"
                    + " do not apply.</p>\n");
        }
        for (String w : unfinishedWork(run)) h.append("<p class=\"warn\">").append(esc(w)).append("</p>\n");
        h.append("<h2>Headline findings</h2>\n");
        boolean any = false;
        StringBuilder list = new StringBuilder("<ul class=\"findings\">\n");
        for (String n : present) {
            List<Row> headline = headline(rows.get(n));
            for (int i = 0; i < headline.size(); i++) {
                Row r = headline.get(i);
                any = true;
                list.append("<li><a href=\"#").append(esc(n)).append("\">").append(esc(title(n))).append("</a>: ")
                        .append(esc(r.label())).append(" — <strong class=\"num\">").append(esc(r.value())).append("</strong>.");
                if (r.paper() != null) list.append(" <span class=\"paper\">Paper: ").append(esc(r.paper())).append(".</span>");
                int more = rows.get(n).size() - headline.size();
                if (i == headline.size() - 1 && more > 0) {
                    list.append(" <a class=\"more\" href=\"#").append(esc(n)).append("\">").append(more)
                            .append(" more number").append(more == 1 ? "" : "s").append(" in the section</a>");
                }
                list.append("</li>\n");
            }
        }
        list.append("</ul>\n");
        if (any) {
            h.append(list);
            h.append("<p class=\"note\">“Paper” is Maini et al. (2023), “Can neural network memorization be localized?”,"
                    + " as summarised in docs/methods.md §7; its numbers come from larger models and datasets.</p>\n");
        } else {
            h.append("<p>No analysis of this run has stored headline numbers yet.</p>\n");
        }
        h.append("</section>\n");
    }

    /** At most {@link #HEADLINE_ROWS} rows of a section for the first screen: those with a paper value, else the first. */
    static List<Row> headline(List<Row> rows) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) if (r.paper() != null && out.size() < HEADLINE_ROWS) out.add(r);
        if (out.isEmpty() && !rows.isEmpty()) out.add(rows.get(0));
        return out;
    }

    /** Wall time between the provenance's start and end, or null while running or unreadable. */
    static String wallTime(Provenance p) {
        if (p.startTime() == null || p.endTime() == null) return null;
        try {
            return PlainTask.durationWithTenths(Duration.between(Instant.parse(p.startTime()), Instant.parse(p.endTime())).toMillis() / 1000.0);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }


    private static String pct(double v) {
        if (!Double.isFinite(v)) return "n/a";
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static void runSection(StringBuilder h, RunFolder run) throws IOException {
        ExperimentConfig c = run.config();
        h.append("<section id=\"run\">\n<h2>Run details</h2>\n");
        h.append("<h3>Labels</h3>\n");
        try {
            NoisyLabels noise = run.noise();
            h.append("<p>").append(noise.size()).append(" training examples, ").append(noise.noisyCount())
                    .append(" with a corrupted label (").append(fmt(100.0 * noise.noisyCount() / Math.max(1, noise.size())))
                    .append("%); noise seed ").append(noise.seed()).append(". The list: <a href=\"")
                    .append(href(run, run.dir().resolve("noise.csv"))).append("\">noise.csv</a>.");
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

        h.append("<h3>Configuration</h3>\n<table class=\"kv\">\n");
        for (RecordComponent rc : ExperimentConfig.class.getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            kvRow(h, rc.getName(), v instanceof TrainingMethods m ? m.label() : String.valueOf(v));
        }
        h.append("</table>\n");
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

    private static void analysisSection(StringBuilder h, RunFolder run, String name, List<Row> rows, String problem)
            throws IOException {
        h.append("<section id=\"").append(esc(name)).append("\" class=\"analysis\">\n<h2>").append(esc(title(name))).append("</h2>\n");
        AnalysisKind.byDirName(name).ifPresent(k -> h.append("<p class=\"desc\">").append(esc(k.description())).append("</p>\n"));
        if (problem != null) h.append("<p class=\"warn\">").append(esc(problem)).append("</p>\n");

        if (!rows.isEmpty()) {
            boolean paper = rows.stream().anyMatch(r -> r.paper() != null);
            h.append("<table class=\"key\">\n<tr><th>Key number</th><th>This run</th>");
            if (paper) h.append("<th>Paper</th>");
            h.append("</tr>\n");
            for (Row r : rows) {
                h.append("<tr><td>").append(esc(r.label())).append("</td><td class=\"num\">").append(esc(r.value())).append("</td>");
                if (paper) h.append("<td>").append(r.paper() == null ? "" : esc(r.paper())).append("</td>");
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        } else if (run.hasResults(name) && problem == null) {
            h.append("<p class=\"note\">No headline numbers stored for this analysis (results written before they were"
                    + " stored); run it again with <code>--force</code> to list them here.</p>\n");
        } else if (problem == null) {
            // figures or tables without their results file: an interrupted run, or the file was removed or replaced
            h.append("<p class=\"warn\">").append(esc(run.resultsFile(name).toString())).append(" is missing or not a"
                    + " file, so this analysis' key numbers cannot be shown and the files below may be left from an earlier"
                    + " run; run the analysis again with <code>--force</code>.</p>\n");
        }

        for (Path p : run.analysisFiles(name, TEXT_TABLE)) {
            String file = p.getFileName().toString();
            h.append("<figure class=\"text-table\"><pre>").append(esc(Files.readString(p))).append("</pre><figcaption>")
                    .append(esc(captionFromFileName(file.substring(0, file.length() - 4)))).append(" (<a href=\"")
                    .append(href(run, p)).append("\">").append(esc(file)).append("</a>)</figcaption></figure>\n");
        }

        List<Path> pngs = run.analysisFiles(name, ".png");
        for (Path p : pngs) {
            byte[] bytes = Files.readAllBytes(p);
            var damage = PngCheck.problem(bytes);
            if (damage.isPresent()) {
                h.append("<p class=\"warn\">Figure <a href=\"").append(href(run, p)).append("\">")
                        .append(esc(p.getFileName().toString())).append("</a> is not shown: ").append(esc(damage.get()))
                        .append(". Run the analysis again with <code>--force</code> to redraw it.</p>\n");
                continue;
            }
            String caption = PngTitle.read(bytes).orElseGet(() -> captionFromFileName(p.getFileName().toString()));
            h.append("<figure><a href=\"").append(href(run, p)).append("\"><img alt=\"").append(esc(caption))
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(bytes))
                    .append("\"></a><figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
        }

        galleries(h, run, name);

        List<Path> files = new ArrayList<>();
        if (run.hasResults(name)) files.add(run.resultsFile(name));
        files.addAll(run.analysisFiles(name, ".csv"));
        if (!files.isEmpty()) {
            h.append("<p class=\"files\">Data: ");
            boolean first = true;
            for (Path p : files) {
                if (!first) h.append(" · ");
                first = false;
                h.append("<a href=\"").append(href(run, p)).append("\">").append(esc(p.getFileName().toString())).append("</a>");
                if (p.getFileName().toString().endsWith(".csv")) {
                    try {
                        h.append(" (").append(CsvTable.read(p).rowCount()).append(" rows)");
                    } catch (IOException | RuntimeException e) {
                        h.append(" (unreadable)");
                    }
                }
            }
            h.append("</p>\n");
        }
        h.append("</section>\n");
    }

    /**
     * The analysis' example galleries ({@link ExampleGalleries}), drawn from the run's training images (from the dataset
     * cache, never downloaded); a note instead when the images cannot be read.
     */
    private static void galleries(StringBuilder h, RunFolder run, String name) {
        try {
            ExampleGalleries.Images images = ExampleGalleries.Images.of(dev.engram.memorization.data.RunData.of(run,
                    dev.engram.memorization.data.DataSource.catalog(dev.engram.datasets.FetchOptions.defaults()
                            .withOffline(true))));
            for (ExampleGalleries.Figure f : ExampleGalleries.of(run, name, images)) {
                h.append("<figure class=\"gallery\"><img alt=\"").append(esc(f.caption()))
                        .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(f.png()))
                        .append("\"><figcaption>").append(esc(f.caption())).append("</figcaption></figure>\n");
            }
        } catch (IOException | RuntimeException e) {
            h.append("<p class=\"note\">Example gallery not drawn: ").append(esc(String.valueOf(e.getMessage())))
                    .append("</p>\n");
        }
    }

    /** A caption for a PNG without a stored title: {@code "rewinding-2-noisy.png" → "Rewinding 2 noisy"}. */
    static String captionFromFileName(String file) {
        String base = file.endsWith(".png") ? file.substring(0, file.length() - 4) : file;
        String words = base.replace('-', ' ').replace('_', ' ').trim();
        return words.isEmpty() ? file : Character.toUpperCase(words.charAt(0)) + words.substring(1);
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

    private static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        double a = Math.abs(d);
        if (a != 0 && (a < 1e-4 || a >= 1e7)) return String.format(Locale.ROOT, "%.4e", d);
        return new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** HTML-escapes text for element content and attribute values. */
    public static String esc(String s) {
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

    /** The report's style sheet, for other pages (the sweep report) that should look the same. */
    public static String css() {
        return CSS;
    }

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em auto; max-width: 1100px;
                   padding: 0 1em; color: #222; line-height: 1.5; font-size: 16px; }
            h1 { margin: 0 0 0.3em 0; font-size: 1.7em; }
            h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 1.8em; }
            #summary h2 { margin-top: 0.8em; }
            .what { font-size: 1.05em; background: #f4f6f8; padding: 0.7em 1em; border-radius: 6px; margin: 0.3em 0; }
            ul.findings { padding-left: 1.2em; margin: 0.4em 0; }
            ul.findings li { margin: 0.25em 0; }
            .num { font-variant-numeric: tabular-nums; white-space: nowrap; }
            .paper { color: #555; font-size: 0.92em; }
            a.more { font-size: 0.85em; color: #666; }
            nav { background: #f4f6f8; padding: 0.6em 1em; border-radius: 6px; margin-top: 1em; }
            .note, footer { color: #666; font-size: 0.9em; }
            footer { margin-top: 3em; border-top: 1px solid #ddd; padding-top: 0.5em; }
            .desc { color: #333; }
            .warn { color: #a00; font-weight: bold; }
            figure.text-table pre { font-size: 0.8em; overflow-x: auto; background: #f7f7f7; padding: 0.5em; }
            table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.95em; }
            table.key th, table.key td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
            table.key th { background: #eef2f5; }
            table.key td.num { text-align: right; font-weight: 600; }
            table.kv th { text-align: left; padding: 2px 1.2em 2px 0; font-weight: 600; vertical-align: top; }
            table.kv td { padding: 2px 0; font-family: ui-monospace, monospace; word-break: break-all; }
            figure { margin: 1.2em 0; }
            figure img { width: 100%; max-width: 900px; height: auto; border: 1px solid #ddd; display: block; }
            figure.gallery img { width: auto; max-width: 100%; }
            figcaption { font-size: 0.95em; color: #333; text-align: center; margin-top: 0.3em; }
            .files { font-size: 0.95em; }
            code { background: #f4f4f4; padding: 0 3px; border-radius: 3px; }
            """;
}
