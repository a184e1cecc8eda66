package dev.engram.memorization.cli;

import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.NoisyLabels;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The command-line contract of issue 12: exit codes (0 success, 1 failure, 2 usage error), validation before anything
 * is written, case-insensitive enum values, and {@link Analyses#execute} never silently replacing earlier results.
 */
class CliContractTest {
    @TempDir
    Path tmp;
    @RegisterExtension
    final EmptyDatasetCache emptyCache = new EmptyDatasetCache();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();


    private int engram(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    // ---- exit codes ------------------------------------------------------------------------------------------------

    @Test
    void noArgumentsIsAUsageError() {
        assertThat(engram()).isEqualTo(2);
        assertThat(err.toString()).contains("Usage:");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertThat(engram("--no-such-option")).isEqualTo(2);
        assertThat(engram("train", "--run", tmp.resolve("r").toString(), "--no-such-option")).isEqualTo(2);
        assertThat(engram("no-such-command")).isEqualTo(2);
        assertThat(tmp.resolve("r")).doesNotExist();
    }

    @Test
    void helpSucceedsAndDocumentsTheExitCodes() {
        assertThat(engram("--help")).isEqualTo(0);
        assertThat(out.toString()).contains("Exit codes").contains("usage error");
    }

    // ---- validation before writes ----------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"--model=resnet-9", "--model=cnnn", "--dataset=mnsit", "--dataset=cifar-10"})
    void aMistypedNameFailsAndLeavesNoFolder(String option) {
        Path run = tmp.resolve("runs").resolve("r");
        int code = engram("train", "--run", run.toString(), option, "--epochs", "1", "--examples", "64", "--offline");
        assertThat(code).as(err.toString()).isNotZero();
        String value = option.substring(option.indexOf('=') + 1);
        assertThat(err.toString()).contains(value);
        assertThat(run).as("a train that fails validation leaves no folder").doesNotExist();
        assertThat(tmp.resolve("runs")).doesNotExist();
    }

    @Test
    void aMissingDatasetOfflineFailsAndLeavesNoFolder() {
        Path run = tmp.resolve("r");
        int code = engram("train", "--run", run.toString(), "--dataset", "mnist", "--model", "mlp", "--epochs", "1",
                "--examples", "64", "--offline");
        assertThat(code).as(err.toString()).isEqualTo(1);
        assertThat(run).as("nothing is written before the data is there").doesNotExist();
    }

    // ---- enum values -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"WEIGHTS", "weights", "Weights", "ACTIVATIONS", "activations"})
    void enumValuesAreCaseInsensitive(String variant) {
        Path missing = tmp.resolve("no-such-run");
        int code = engram("flip", "--run", missing.toString(), "--variant", variant, "--offline");
        assertThat(code).as("the variant parses; the command fails on the run folder: " + err).isEqualTo(1);
        assertThat(err.toString()).contains(missing.toString()).contains("does not exist").doesNotContainIgnoringCase("variant");
    }

    @Test
    void aBadEnumValueIsAUsageError() {
        int code = engram("flip", "--run", tmp.resolve("no-such-run").toString(), "--variant", "neurons", "--offline");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--variant").contains("neurons");
    }

    // ---- Analyses.execute: no silent overwrite ---------------------------------------------------------------------

    /** A result with one number. */
    record FakeResult(int value) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            return List.of(new SummaryRow("value", Integer.toString(value)));
        }
    }

    /**
     * An analysis that returns {@code value}; writes results.json and {@code extraFile} (when not null); throws in
     * run() or write() when told to.
     */
    record FakeAnalysis(int value, String extraFile, boolean failInRun, boolean failInWrite)
            implements Analysis<String, FakeResult> {
        @Override
        public AnalysisKind kind() {
            return AnalysisKind.SCORES;
        }

        @Override
        public FakeResult run(RunData data, String options, Progress progress) {
            progress.line("fake " + options);
            if (failInRun) throw new IllegalStateException("fake analysis failed in run");
            return new FakeResult(value);
        }

        @Override
        public void write(FakeResult result, Path dir) throws IOException {
            assertThat(dir).isEmptyDirectory();
            Files.writeString(dir.resolve(RunFolder.RESULTS), "{\"value\": " + result.value() + "}");
            if (failInWrite) throw new IOException("fake analysis failed in write");
            if (extraFile != null) Files.writeString(dir.resolve(extraFile), "v" + result.value());
        }
    }

    private RunData fakeRun() throws IOException {
        int[] labels = new int[40];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 10;
        NoisyLabels noise = LabelNoise.corrupt(labels, 10, 0.2, 4);
        ExperimentConfig cfg = ExperimentConfig.cpuDemo().toBuilder().noiseFraction(0.2).build();
        RunFolder folder = RunFolder.create(tmp.resolve("run"), cfg, noise, Provenance.capture(List.of("test"), List.of(4L)));
        return RunData.of(folder, name -> {
            throw new AssertionError("the fake analysis reads no data");
        });
    }

    /** Every file under the analysis folder, relative path → content. */
    private static Map<String, String> files(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try {
                    m.put(dir.relativize(p).toString(), Files.readString(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return m;
    }

    /** The fake's results.json as {@link Analyses#execute} leaves it: with its summary rows added. */
    private static String stored(int value) {
        return dev.engram.memorization.io.Results.toJson(com.google.gson.JsonParser.parseString("{\"value\": " + value
                + ", \"summaryRows\": [{\"label\": \"value\", \"value\": \"" + value + "\", \"numbers\": [{\"value\": "
                + (double) value + ", \"percent\": false}]}]}"));
    }

    private static void assertNoLeftovers(RunFolder run) throws IOException {
        Path analyses = run.dir().resolve(RunFolder.ANALYSES);
        try (Stream<Path> s = Files.walk(analyses)) {
            assertThat(s.map(p -> analyses.relativize(p).toString()))
                    .as("no staging folder is left behind").noneMatch(n -> n.contains(".staging-"));
        }
        Path replaced = analyses.resolve(Analyses.REPLACED);
        if (Files.exists(replaced)) {
            assertThat(replaced).as("replaced results are deleted once the new ones are in place").isEmptyDirectory();
        }
    }

    @Test
    void executeRefusesToReplaceEarlierResultsWithoutForce() throws IOException {
        RunData data = fakeRun();
        FakeResult first = Analyses.execute(new FakeAnalysis(1, "old.csv", false, false), data, "a", null, false);
        assertThat(first.value()).isEqualTo(1);
        Path dir = data.run().analysisPath(AnalysisKind.SCORES.dirName());
        Map<String, String> before = files(dir);
        assertThat(before).containsEntry("results.json", stored(1)).containsEntry("old.csv", "v1");

        assertThatThrownBy(() -> Analyses.execute(new FakeAnalysis(2, null, false, false), data, "b", null, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--force")
                .hasMessageContaining(AnalysisKind.SCORES.dirName());
        assertThat(files(dir)).as("a refused run changes nothing").isEqualTo(before);
        assertNoLeftovers(data.run());
    }

    @Test
    void executeWithReplaceReplacesEarlierResultsCompletely() throws IOException {
        RunData data = fakeRun();
        Analyses.execute(new FakeAnalysis(1, "old.csv", false, false), data, "a", null, false);
        FakeResult second = Analyses.execute(new FakeAnalysis(2, "new.csv", false, false), data, "b", null, true);
        assertThat(second.value()).isEqualTo(2);
        Path dir = data.run().analysisPath(AnalysisKind.SCORES.dirName());
        assertThat(files(dir)).as("the new results replace the old files, none of which remain")
                .isEqualTo(Map.of("results.json", stored(2), "new.csv", "v2"));
        assertNoLeftovers(data.run());
        // and once more, now over results written by a replacement
        Analyses.execute(new FakeAnalysis(3, null, false, false), data, "c", null, true);
        assertThat(files(dir)).isEqualTo(Map.of("results.json", stored(3)));
        assertNoLeftovers(data.run());
    }

    @Test
    void aFailingAnalysisLeavesEarlierResultsUntouched() throws IOException {
        RunData data = fakeRun();
        Analyses.execute(new FakeAnalysis(1, "old.csv", false, false), data, "a", null, false);
        Path dir = data.run().analysisPath(AnalysisKind.SCORES.dirName());
        Map<String, String> before = files(dir);

        assertThatThrownBy(() -> Analyses.execute(new FakeAnalysis(2, "new.csv", true, false), data, "b", null, true))
                .hasMessageContaining("failed in run");
        assertThat(files(dir)).as("a failure in run() keeps the earlier results").isEqualTo(before);
        assertNoLeftovers(data.run());

        assertThatThrownBy(() -> Analyses.execute(new FakeAnalysis(2, "new.csv", false, true), data, "b", null, true))
                .hasMessageContaining("failed in write");
        assertThat(files(dir)).as("a failure in write() keeps the earlier results").isEqualTo(before);
        assertNoLeftovers(data.run());
    }

    @Test
    void aFirstRunThatFailsLeavesNoResults() throws IOException {
        RunData data = fakeRun();
        assertThatThrownBy(() -> Analyses.execute(new FakeAnalysis(1, null, true, false), data, "a", null, false))
                .hasMessageContaining("failed in run");
        assertThat(data.run().hasResults(AnalysisKind.SCORES.dirName())).isFalse();
        assertNoLeftovers(data.run());
        // nothing blocks a second attempt without --force
        Analyses.execute(new FakeAnalysis(1, null, false, false), data, "a", null, false);
        assertThat(data.run().hasResults(AnalysisKind.SCORES.dirName())).isTrue();
    }

    @Test
    void optionsThatCannotApplyAreErrors() {
        Path missing = tmp.resolve("never-created");
        String[][] cases = {
            {"etd", "--run", missing.toString(), "--methods", "etd", "--baseline-p", "0.3"},
            {"etd", "--run", missing.toString(), "--methods", "standard_dropout", "--grid", "0.2:0.1"},
            {"flip", "--run", missing.toString(), "--variant", "weights", "--targets-per-batch", "8"},
        };
        for (String[] c : cases) {
            StringWriter o = new StringWriter(), e = new StringWriter();
            int code = EngramCli.run(new PrintWriter(o, true), new PrintWriter(e, true), c);
            assertThat(code).as(String.join(" ", c)).isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(e.toString()).as(String.join(" ", c)).contains("applies to");
            assertThat(missing).doesNotExist();
        }
    }
}
