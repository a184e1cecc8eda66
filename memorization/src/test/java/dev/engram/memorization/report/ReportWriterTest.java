package dev.engram.memorization.report;

import dev.engram.memorization.analysis.PlainTask;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.datasets.LabelNoise;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.memorization.run.RunFolderTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ReportWriterTest {
    @TempDir
    Path tmp;

    @Test
    void emptyRunHasOnlyTheRunSection() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        Path out = ReportWriter.write(r);
        String html = Files.readString(out);
        assertThat(out).isEqualTo(r.dir().resolve("report.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("Configuration").contains("Provenance")
                .contains("id=\"summary\"").contains("No analysis of this run has stored headline numbers yet")
                .contains("20 with a corrupted label").contains("No analysis has written output yet");
        assertThat(html).doesNotContain("id=\"rewinding\"").doesNotContain("id=\"gradient-accounting\"");
    }

    @Test
    void unmergedShardsAndInterruptedProgressAreNamedOnTheFirstScreen() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        Path adir = r.dir().resolve(RunFolder.ANALYSES);
        Files.createDirectories(adir.resolve("flipping.shard-1-of-3"));
        Files.writeString(adir.resolve("flipping.shard-1-of-3").resolve("part.json"), "{}");
        Files.createDirectories(adir.resolve("flipping.shard-2-of-3")); // started, no part yet
        Files.createDirectories(adir.resolve(".sparse-double-descent.levels"));
        Files.createDirectories(adir.resolve(".replaced"));
        String html = ReportWriter.render(r);
        assertThat(html).contains("flipping: 1 of 3 shards done (1), not merged into results yet")
                .contains("engram merge --run " + r.dir() + " --analysis flipping")
                .contains("sparse-double-descent: an interrupted run left its progress in")
                .doesNotContain("replaced: an interrupted");
        r.writeResults("flipping", Map.of("merged", true));
        assertThat(ReportWriter.render(r)).doesNotContain("not merged into results yet");
    }

    /** A two-point line chart titled {@code title}. */
    private static void chart(Path png, String title) throws IOException {
        Charts.line(png, title, "epoch", "value", List.of(Charts.Series.of("noisy", new double[] {0, 1}, new double[] {0.9, 0.3})));
    }

    @Test
    void figuresWithoutTheirResultsFileAreFlagged() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        Path sd = r.analysisDir("scores");
        chart(sd.resolve("curves.png"), "Loss");
        String html = ReportWriter.render(r);
        assertThat(html).contains("id=\"scores\"").contains(r.resultsFile("scores") + " is missing or not a file");
        Files.createDirectories(r.resultsFile("scores")); // a folder where the results file should be
        assertThat(ReportWriter.render(r)).contains("is missing or not a file");
    }

    @Test
    void sectionsAppearForAnalysesWithOutputAndAreSelfContained() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("layers", List.of("conv1", "conv2"));
        res.put("noisyAccuracy", new double[] {0.91, 0.30000000000000004});
        res.put("perEpoch", new double[40]);
        res.put("note", "<b>not markup</b>");
        res.put(Results.SUMMARY_ROWS, List.of(Map.of("label", "rewind one group to epoch 0: noisy acc per group",
                "value", "12.00% / <i>80.00%</i>")));
        r.writeResults("rewinding", res);
        Path rd = r.analysisDir("rewinding");
        chart(rd.resolve("accuracy.png"), "Noisy accuracy after rewinding");
        CsvTable t = new CsvTable("layer", "clean", "noisy");
        for (int i = 0; i < 40; i++) t.addRow("L" + i, 0.99, 0.5);
        t.write(rd.resolve("accuracy.csv"));
        java.nio.file.Files.write(rd.resolve("per-layer-table.txt"), List.of("layer  noisy", "conv1  0.910 <x>"));
        r.analysisDir("etd"); // empty folder: no section
        r.writeResults("my-extra", Map.of("value", 1));

        String html = ReportWriter.render(r);
        assertThat(html).contains("id=\"rewinding\"").contains("Layer rewinding").contains("id=\"my-extra\"")
                .doesNotContain("id=\"etd\"");
        assertThat(html.indexOf("id=\"rewinding\"")).isLessThan(html.indexOf("id=\"my-extra\""));
        // the headline on the first screen: sentence with the number, the paper's claim, a link to the section
        int summary = html.indexOf("id=\"summary\"");
        int firstSection = html.indexOf("id=\"rewinding\"");
        String first = html.substring(summary, firstSection);
        assertThat(first).contains("<a href=\"#rewinding\">Layer rewinding</a>: rewind one group to epoch 0: noisy acc per group")
                .contains("12.00% / &lt;i&gt;80.00%&lt;/i&gt;").contains("does not remove memorization (Fig. 3)")
                .contains("10% label noise").contains("seed " + r.config().seed()).contains("epochs");
        // no raw dumps of results.json
        assertThat(html).doesNotContain("noisyAccuracy").doesNotContain("perEpoch").doesNotContain("not markup")
                .doesNotContain("<i>80");
        // figure captioned with its chart title, linked; data files linked with their size
        assertThat(html).contains("<figcaption>Noisy accuracy after rewinding</figcaption>")
                .doesNotContain("<figcaption>accuracy.png")
                .contains("data:image/png;base64,iVBORw0KGgo").contains("href=\"analyses/rewinding/accuracy.png\"")
                .contains("href=\"analyses/rewinding/accuracy.csv\">accuracy.csv</a> (40 rows)")
                .contains("href=\"analyses/rewinding/results.json\"");
        // a text table in full, escaped, before the figures, linked
        assertThat(html).contains("<pre>layer  noisy\nconv1  0.910 &lt;x&gt;\n</pre><figcaption>Per layer table"
                + " (<a href=\"analyses/rewinding/per-layer-table.txt\">per-layer-table.txt</a>)</figcaption>");
        assertThat(html.indexOf("per-layer-table.txt")).isLessThan(html.indexOf("data:image/png"));
        // an analysis without stored rows says how to get them
        assertThat(html.substring(html.indexOf("id=\"my-extra\""))).contains("No headline numbers stored");
        // self-contained: nothing fetched from elsewhere
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("http://")
                .doesNotContain("https://").doesNotContain("src=\"analyses");
    }

    @Test
    void trainingResultsWithoutStoredRowsGiveTheFinalAccuracies() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        r.writeResults("training", Map.of("finalCleanTrainAccuracy", 1.0, "finalNoisyTrainAccuracy", 0.8525,
                "finalTestAccuracy", 0.9044, "trainingSeconds", 121.2));
        String html = ReportWriter.render(r);
        assertThat(html.substring(0, html.indexOf("id=\"training\""))).contains("100.00% / 85.25% / 90.44%")
                .contains("1 more number in the section").doesNotContain("2 min 01 s");
        assertThat(html.substring(html.indexOf("id=\"training\""))).contains("time in epochs").contains("2 min 01 s");
    }

    @Test
    void aDamagedFigureIsNamedInsteadOfEmbeddedBroken() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("png"), 0.1);
        Path rd = r.analysisDir("rewinding");
        chart(rd.resolve("whole.png"), "Whole chart");
        byte[] png = Files.readAllBytes(rd.resolve("whole.png"));
        Files.write(rd.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length / 2));
        byte[] flipped = png.clone();
        flipped[flipped.length / 2] ^= 0x40;
        Files.write(rd.resolve("flipped.png"), flipped);
        Files.writeString(rd.resolve("text.png"), "not an image");
        String html = ReportWriter.render(r);
        assertThat(html.split("data:image/png", -1)).as("only the whole chart is embedded").hasSize(2);
        assertThat(html).contains("<figcaption>Whole chart</figcaption>")
                .contains("cut.png</a> is not shown: truncated")
                .contains("flipped.png</a> is not shown: damaged: the CRC of the IDAT chunk")
                .contains("text.png</a> is not shown: no PNG signature");
    }

    @Test
    void theConfigurationNamesTheTrainingMethodsInWords() throws IOException {
        ExperimentConfig c = ExperimentConfig.cpuDemo().toBuilder()
                .methods(TrainingMethods.STANDARD.toBuilder().sam(0.05, false).build()).build();
        RunFolder r = RunFolder.create(tmp.resolve("sam"), c, LabelNoise.corrupt(new int[40], 10, 0.1, c.seed()),
                Provenance.capture(List.of("test"), List.of(c.seed())));
        String details = ReportWriter.render(r);
        details = details.substring(details.indexOf("id=\"run\""));
        assertThat(details).contains("<th>methods</th>").contains("sam(rho=0.05)").doesNotContain("TrainingMethods[");
    }

    @Test
    void theFirstScreenTakesRowsWithAPaperValueElseTheFirst() {
        ReportWriter.Row a = new ReportWriter.Row("a", "1", null);
        ReportWriter.Row b = new ReportWriter.Row("b", "2", "p");
        ReportWriter.Row c = new ReportWriter.Row("c", "3", "q");
        ReportWriter.Row d = new ReportWriter.Row("d", "4", "r");
        assertThat(ReportWriter.headline(List.of(a, b, c, d))).containsExactly(b, c);
        assertThat(ReportWriter.headline(List.of(a, a))).containsExactly(a);
        assertThat(ReportWriter.headline(List.of())).isEmpty();
    }

    @Test
    void durationsAndCaptions() {
        assertThat(PlainTask.durationWithTenths(12.34)).isEqualTo("12.3 s");
        assertThat(PlainTask.durationWithTenths(247)).isEqualTo("4 min 07 s");
        assertThat(PlainTask.durationWithTenths(7380)).isEqualTo("2 h 03 min");
        assertThat(PlainTask.durationWithTenths(Double.NaN)).isEqualTo("unknown");
        assertThat(ReportWriter.captionFromFileName("rewinding-2-noisy.png")).isEqualTo("Rewinding 2 noisy");
    }

    @Test
    void pngTitleRoundTripsAndLeavesTheImageReadable() throws IOException {
        Path png = tmp.resolve("c.png");
        Charts.line(png, "Grad norm – clean vs noisy (µ)", "epoch", "norm",
                List.of(Charts.Series.of("a", new double[] {0, 1}, new double[] {1, 2})));
        byte[] bytes = Files.readAllBytes(png);
        assertThat(PngTitle.read(bytes)).contains("Grad norm – clean vs noisy (µ)");
        assertThat(javax.imageio.ImageIO.read(png.toFile())).isNotNull();
        assertThat(PngTitle.read(PngTitle.withTitle(bytes, null))).isPresent();
        assertThat(PngTitle.read(new byte[] {1, 2, 3})).isEmpty();
        assertThat(PngTitle.withTitle(new byte[] {1, 2, 3}, "x")).containsExactly(1, 2, 3);
    }

    @Test
    void noiseFreeRunIsFlagged() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("clean"), 0.0);
        assertThat(ReportWriter.render(r)).contains("This run has no noisy examples");
    }
}
