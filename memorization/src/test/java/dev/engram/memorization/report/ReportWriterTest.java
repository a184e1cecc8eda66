package dev.engram.memorization.report;

import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.run.RunFolder;
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
                .contains("20 with a corrupted label").contains("No analysis has written output yet");
        assertThat(html).doesNotContain("id=\"rewinding\"").doesNotContain("id=\"gradient-accounting\"");
    }

    @Test
    void sectionsAppearForAnalysesWithOutputAndAreSelfContained() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("layers", List.of("conv1", "conv2"));
        res.put("noisyAccuracy", new double[] {0.91, 0.30000000000000004});
        res.put("perEpoch", new double[40]);
        res.put("note", "<b>not markup</b>");
        r.writeResults("rewinding", res);
        Path rd = r.analysisDir("rewinding");
        Charts.line(rd.resolve("accuracy.png"), "acc", "layer", "accuracy",
                List.of(Charts.Series.of("noisy", new double[] {0, 1}, new double[] {0.9, 0.3})));
        CsvTable t = new CsvTable("layer", "clean", "noisy");
        for (int i = 0; i < 40; i++) t.addRow("L" + i, 0.99, 0.5);
        t.write(rd.resolve("accuracy.csv"));
        r.analysisDir("etd"); // empty folder: no section
        r.writeResults("my-extra", Map.of("value", 1));

        String html = ReportWriter.render(r);
        assertThat(html).contains("id=\"rewinding\"").contains("Layer rewinding").contains("id=\"my-extra\"")
                .doesNotContain("id=\"etd\"");
        assertThat(html.indexOf("id=\"rewinding\"")).isLessThan(html.indexOf("id=\"my-extra\""));
        assertThat(html).contains("noisyAccuracy").contains("[0.91, 0.3]").contains("40 values: min 0, mean 0, max 0");
        assertThat(html).contains("&lt;b&gt;not markup&lt;/b&gt;").doesNotContain("<b>not markup");
        assertThat(html).contains("data:image/png;base64,iVBORw0KGgo").contains("href=\"analyses/rewinding/accuracy.png\"");
        assertThat(html).contains("First 25 of 40 rows").contains("<td>L24</td>").doesNotContain("<td>L25</td>");
        // self-contained: nothing fetched from elsewhere
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("http://")
                .doesNotContain("https://").doesNotContain("src=\"analyses");
    }

    @Test
    void noiseFreeRunIsFlagged() throws IOException {
        RunFolder r = RunFolderTestSupport.newRun(tmp.resolve("clean"), 0.0);
        assertThat(ReportWriter.render(r)).contains("This run has no noisy examples");
    }
}
