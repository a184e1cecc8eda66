package dev.engram.memorization.compare;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.memorization.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The method comparison on a tiny synthetic run. */
class MethodComparisonTest {
    @TempDir
    Path tmp;

    @Test
    void comparesMethodsOverSeedsWithEtdAndWritesTableAndCharts() throws Exception {
        TrainTest data = LayerTestSupport.data();
        RunFolder run = TrainingRun.create(tmp.resolve("run"), LayerTestSupport.config(2, 0.2), data.train(), List.of("t"));
        RunData rd = RunData.of(run, DataSource.of(data));
        List<MethodComparison.Entry> all = MethodComparison.standardSet(rd.config(), rd.newModel(), 8, 4, 0.5);
        assertThat(all).extracting(MethodComparison.Entry::name)
                .containsExactly("standard", "sce", "sam", "jocor", "rho-loss", "dropout", "reinit");
        var options = new MethodComparison.Options(List.of(all.get(0), all.get(1)), List.of(5L, 6L), 2, true, 0.3, 0.2, 50);
        MethodComparison.Result r = Analyses.execute(new MethodComparison(), rd, options, Progress.NONE, false);
        assertThat(r.models()).hasSize(2 * 4); // standard, sce, etd-before, etd-after per seed
        assertThat(r.summaries()).extracting(MethodComparison.Summary::method)
                .containsExactly("standard", "sce", "etd-before", "etd-after");
        for (MethodComparison.Summary s : r.summaries()) {
            var ms = r.models().stream().filter(m -> m.method().equals(s.method())).toList();
            double a = ms.get(0).accuracy().test(), b = ms.get(1).accuracy().test();
            assertThat(s.test().mean()).isCloseTo((a + b) / 2, within(1e-12));
            assertThat(s.test().std()).isCloseTo(Math.abs(a - b) / Math.sqrt(2), within(1e-12));
            assertThat(s.seeds()).isEqualTo(2);
        }
        // the same seed and method trains the same model: plain training is reproducible
        var again = Analyses.execute(new MethodComparison(), rd, new MethodComparison.Options(List.of(all.get(0)),
                List.of(5L), 2, false, 0.3, 0.2, 50), Progress.NONE, true);
        assertThat(again.models().get(0).accuracy()).isEqualTo(r.models().get(0).accuracy());
        Path dir = run.analysisPath("compare-methods");
        assertThat(Files.readString(dir.resolve("methods.csv"))).contains("standard").doesNotContain("etd-after");
        assertThat(r.summaryRows()).hasSize(4);
        assertThat(r.summaryRows().get(3).label()).startsWith("etd-after");
    }

    @Test
    void writesEveryFile() throws Exception {
        var t = new MethodComparison.Trained("standard", "standard", 1, new MethodComparison.Accuracies(0.9, 0.95, 0.8), 1);
        var u = new MethodComparison.Trained("standard", "standard", 2, new MethodComparison.Accuracies(0.7, 0.93, 0.82), 1);
        var result = new MethodComparison.Result("mnist", "mlp", 0.1, 100, 10, 2, List.of(1L, 2L), List.of(t, u),
                MethodComparison.summarize(List.of(t, u)));
        new MethodComparison().write(result, tmp);
        for (String f : List.of("results.json", "methods.csv", "models.csv", "memorization-vs-test.png", "accuracies.png")) {
            assertThat(tmp.resolve(f)).exists();
        }
        assertThat(result.summaries().get(0).noisyTrain().mean()).isCloseTo(0.8, within(1e-12));
        assertThat(result.summaries().get(0).noisyTrain().std()).isCloseTo(Math.sqrt(0.02), within(1e-12));
    }

    /**
     * One seed has no sample standard deviation: it is NaN (CSV "NaN", an "n/a" place in the summary row's numbers,
     * left out of a sweep's mean of stds), and the row shows the mean alone, not "±0.00%" as if seeds agreed.
     */
    @Test
    void oneSeedHasNoStandardDeviation() throws Exception {
        var t = new MethodComparison.Trained("sce", "sce", 3, new MethodComparison.Accuracies(0.16, 0.25, 0.125), 1);
        var result = new MethodComparison.Result("mnist", "mlp", 0.1, 100, 10, 2, List.of(3L), List.of(t),
                MethodComparison.summarize(List.of(t)));
        MethodComparison.Summary s = result.summaries().get(0);
        assertThat(s.noisyTrain().mean()).isEqualTo(0.16);
        assertThat(s.noisyTrain().std()).isNaN();
        assertThat(s.test().std()).isNaN();
        var row = result.summaryRows().get(0);
        assertThat(row.label()).isEqualTo("sce: noisy-train / clean-train / test (1 seed)");
        assertThat(row.value()).isEqualTo("16.00% / 25.00% / 12.50%");
        assertThat(row.numbers()).extracting(x -> x.value()).containsExactly(16.0, Double.NaN, 25.0, Double.NaN, 12.5, Double.NaN);
        new MethodComparison().write(result, tmp);
        assertThat(Files.readAllLines(tmp.resolve("methods.csv")).get(1)).startsWith("sce,sce,1,0.16,NaN,0.25,NaN,0.125,NaN,");
    }

    @Test
    void badOptionsAreNamed() {
        var e = new MethodComparison.Entry("standard", TrainingMethods.STANDARD);
        assertThatThrownBy(() -> new MethodComparison.Options(List.of(e, e), List.of(1L), 1, false, 0.2, 0.1, 10))
                .hasMessageContaining("'standard' given twice");
        assertThatThrownBy(() -> new MethodComparison.Options(List.of(e), List.of(1L, 1L), 1, false, 0.2, 0.1, 10))
                .hasMessageContaining("seeds repeat");
        assertThatThrownBy(() -> new MethodComparison.Entry("Bad Name", TrainingMethods.STANDARD)).hasMessageContaining("Bad Name");
    }
}
