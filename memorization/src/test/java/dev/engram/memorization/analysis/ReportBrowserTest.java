package dev.engram.memorization.analysis;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.engram.memorization.report.HeadlessChromium;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report of a small generated run (every analysis, {@link ModelMatrixTest#runMatrix}) opened in a real headless
 * Chromium: no console errors, no broken image or link, a section per analysis, the summary on the first screen.
 * Saves screenshots under {@code target/report-screenshots/} for a reviewer. Skipped, saying why, when no chromium
 * binary is installed ({@code .ci/run} installs Debian's {@code chromium}).
 */
class ReportBrowserTest {
    static final int WIDTH = 1280;
    static final int HEIGHT = 900;
    static final Path SHOTS = Path.of("target", "report-screenshots");

    @TempDir
    Path tmp;

    @Test
    void theReportOfASmallRunOpensCleanlyInChromium() throws Exception {
        Optional<Path> chromium = HeadlessChromium.find();
        Assumptions.assumeTrue(chromium.isPresent(), "no chromium binary on the PATH (nor $ENGRAM_CHROMIUM):"
                + " install Debian's chromium (apt-get install -y chromium) to run the browser check of report.html");
        RunFolder run = ModelMatrixTest.runMatrix("mlp", tmp);
        Path report = ReportWriter.write(run);

        try (HeadlessChromium browser = HeadlessChromium.start(chromium.get(), tmp.resolve("profile"), WIDTH, HEIGHT)) {
            browser.open(report.toUri());
            Files.createDirectories(SHOTS);
            browser.screenshot(SHOTS.resolve("report-first-screen.png"), false);
            browser.screenshot(SHOTS.resolve("report-full-page.png"), true);

            assertThat(browser.errors()).as("console errors and failed loads").isEmpty();

            int broken = browser.eval("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length").getAsInt();
            int images = browser.eval("document.images.length").getAsInt();
            assertThat(images).as("figures in the report").isGreaterThan(AnalysisKind.values().length);
            assertThat(broken).as("broken images").isZero();
            double narrowest = browser.eval("Math.min(...[...document.querySelectorAll('figure img')]"
                    + ".map(i => i.getBoundingClientRect().width))").getAsDouble();
            assertThat(narrowest).as("figures are shown at readable size (px)").isGreaterThanOrEqualTo(900);
            assertThat(browser.eval("[...document.querySelectorAll('figcaption')].filter(c => c.textContent.endsWith('.png')).length")
                    .getAsInt()).as("figures captioned with a file name").isZero();

            List<String> brokenLinks = new ArrayList<>();
            for (JsonElement e : browser.eval("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
                    .getAsJsonArray()) {
                String href = e.getAsString();
                if (href.startsWith("#")) {
                    if (browser.eval("document.getElementById(" + quote(href.substring(1)) + ") !== null").getAsBoolean()) continue;
                    brokenLinks.add(href);
                } else if (href.contains(":")) {
                    brokenLinks.add(href + " (leaves the run folder)");
                } else if (!Files.isRegularFile(run.dir().resolve(URLDecoder.decode(href, StandardCharsets.UTF_8)))) {
                    brokenLinks.add(href);
                }
            }
            assertThat(brokenLinks).as("broken links").isEmpty();

            for (AnalysisKind k : AnalysisKind.values()) {
                JsonElement h2 = browser.eval("(() => { const s = document.getElementById(" + quote(k.dirName())
                        + "); return s === null ? null : s.querySelector('h2').textContent; })()");
                assertThat(h2 == null || h2.isJsonNull() ? null : h2.getAsString()).as("section of " + k).isEqualTo(k.title());
                int rows = browser.eval("document.querySelectorAll('#" + k.dirName() + " table.key tr').length").getAsInt();
                assertThat(rows).as(k + " key-number rows (header included)").isGreaterThan(1);
                browser.eval("window.scrollTo(0, document.getElementById(" + quote(k.dirName()) + ").offsetTop)");
                browser.screenshot(SHOTS.resolve("report-section-" + k.dirName() + ".png"), false);
            }

            browser.eval("window.scrollTo(0, 0)");
            JsonObject first = browser.eval("(() => { const s = document.getElementById('summary');"
                    + " const items = [...s.querySelectorAll('ul.findings li')];"
                    + " return { top: s.getBoundingClientRect().top, text: s.innerText,"
                    + "  visible: items.filter(li => li.getBoundingClientRect().bottom <= innerHeight).length }; })()")
                    .getAsJsonObject();
            assertThat(first.get("top").getAsDouble()).as("summary position").isLessThan(HEIGHT / 3.0);
            assertThat(first.get("visible").getAsInt()).as("headline findings on the first screen").isGreaterThanOrEqualTo(3);
            assertThat(first.get("text").getAsString()).contains("MNIST").contains("mlp").contains("20% label noise")
                    .contains("Headline findings").contains("Neuron flipping").contains("%");
            assertThat(browser.eval("document.body.innerText").getAsString())
                    .as("no results.json keys dumped").doesNotContain("cleanNormByLayerMeanOverEpochs")
                    .doesNotContain("finalNoisyTrainAccuracy");
        }
        assertThat(SHOTS.resolve("report-full-page.png")).isRegularFile();
        assertThat(Files.size(SHOTS.resolve("report-full-page.png"))).isGreaterThan(10_000);
    }

    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

}
