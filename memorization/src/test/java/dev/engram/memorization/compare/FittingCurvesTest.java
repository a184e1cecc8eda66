package dev.engram.memorization.compare;

import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fitting curves on a tiny synthetic run. */
class FittingCurvesTest {
    @TempDir
    Path tmp;

    @Test
    void trainsEachVariantAndWritesCurvesTimeToFitAndReportSection() throws Exception {
        TrainTest data = LayerTestSupport.data();
        RunFolder run = TrainingRun.create(tmp.resolve("run"), LayerTestSupport.config(1, 0.0), data.train(), List.of("t"));
        RunData rd = RunData.of(run, DataSource.of(data));
        List<FittingCurves.Variant> variants = List.of(FittingCurves.standard("true-labels"),
                FittingCurves.standard("random-labels"), FittingCurves.standard("shuffled-pixels"),
                FittingCurves.standard("gaussian"));
        FittingCurves.Result r = Analyses.execute(new FittingCurves(), rd, new FittingCurves.Options(variants, 3, 50),
                Progress.NONE, false);
        assertThat(r.curves()).extracting(c -> c.variant().name())
                .containsExactly("true-labels", "random-labels", "shuffled-pixels", "gaussian");
        int n = data.train().size();
        assertThat(r.stepsPerEpoch()).isEqualTo((n + 19) / 20);
        for (FittingCurves.Curve c : r.curves()) {
            assertThat(c.fitAccuracy()).hasSize(4);
            assertThat(c.trainLoss()[0]).isNaN();
            for (int e = 1; e <= 3; e++) assertThat(c.trainLoss()[e]).isPositive();
            int first = -1;
            for (int e = 0; e <= 3 && first < 0; e++) if (c.fitAccuracy()[e] == 1.0) first = e;
            assertThat(c.epochsToFit()).isEqualTo(first);
            assertThat(c.stepsToFit()).isEqualTo(first < 0 ? -1 : (long) first * r.stepsPerEpoch());
        }
        // the variants differ: true labels are learnt faster than random ones on this easy data
        assertThat(r.curves().get(0).fitAccuracy()[3]).isGreaterThan(r.curves().get(1).fitAccuracy()[3]);
        // the same variant twice trains the same model
        FittingCurves.Result again = Analyses.execute(new FittingCurves(), rd,
                new FittingCurves.Options(List.of(variants.get(1)), 3, 50), Progress.NONE, true);
        assertThat(again.curves().get(0).fitAccuracy()).containsExactly(r.curves().get(1).fitAccuracy());
        Path dir = run.analysisPath("fitting-curves");
        assertThat(CsvTable.read(dir.resolve("curves.csv")).rowCount()).isEqualTo(4); // the last execution: one variant
        assertThat(Files.exists(dir.resolve("loss.png"))).isTrue();
        assertThat(ReportWriter.render(run)).contains("Fitting random labels and inputs").contains("random-labels");
    }

    @Test
    void optionsAreChecked() {
        assertThatThrownBy(() -> FittingCurves.standard("labels")).hasMessageContaining("'labels'")
                .hasMessageContaining("random-labels");
        var v = FittingCurves.standard("gaussian");
        assertThatThrownBy(() -> new FittingCurves.Options(List.of(v, v), 1, 10)).hasMessageContaining("twice");
        assertThatThrownBy(() -> new FittingCurves.Variant("x", 1.5, "none")).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new FittingCurves.Variant("x", 0, "blur")).hasMessageContaining("'blur'");
    }
}
