package dev.engram.memorization.scores;

import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderTestSupport;
import dev.engram.memorization.train.EpochRecords;
import dev.engram.nn.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-example scores table codes "never learned for good" as its detection score ranks it. */
class ScoresAnalysisTest {
    @TempDir
    Path tmp;

    @Test
    void neverLearnedForGoodIsWrittenAsOnePastTheLastEpoch() throws IOException {
        RunFolder run = RunFolderTestSupport.newRun(tmp.resolve("run"), 0.1);
        int n = run.noise().size(), rows = 4; // epochs 0..3
        boolean[] noisy = run.noise().mask();
        // clean examples: right from epoch 1 (even) or epoch 3 (odd); noisy examples: never right
        float[] correct = new float[rows * n], loss = new float[rows * n], margin = new float[rows * n];
        for (int i = 0; i < n; i++) {
            for (int e = 0; e < rows; e++) {
                boolean right = !noisy[i] && e >= (i % 2 == 0 ? 1 : 3);
                correct[e * n + i] = right ? 1 : 0;
                loss[e * n + i] = right ? 0.1f : 2f;
                margin[e * n + i] = right ? 1f : -1f;
            }
        }
        Path training = Files.createDirectories(run.analysisPath(AnalysisKind.TRAINING.dirName()));
        SafeTensors.write(training.resolve(EpochRecords.PER_EXAMPLE), Map.of("correct", Tensor.of(correct, rows, n),
                "loss", Tensor.of(loss, rows, n), "margin", Tensor.of(margin, rows, n)));

        ScoresAnalysis a = new ScoresAnalysis();
        ScoresAnalysis.Result r = a.run(RunData.of(run, name -> {
            throw new AssertionError("the scores read no data");
        }), ScoresAnalysis.Options.DEFAULTS, Progress.NONE);
        Path out = Files.createDirectories(tmp.resolve("out"));
        a.write(r, out);

        CsvTable t = CsvTable.read(out.resolve("scores.csv"));
        int col = t.header().indexOf("learned_for_good_epoch");
        int noisyCol = t.header().indexOf("is_noisy");
        for (List<String> row : t.rows()) {
            int i = Integer.parseInt(row.get(0));
            int expected = noisy[i] ? rows : i % 2 == 0 ? 1 : 3;
            assertThat(Integer.parseInt(row.get(col))).as("example %d (noisy %s)", i, row.get(noisyCol)).isEqualTo(expected);
        }
        assertThat(r.learnedForGood()).doesNotContain(-1);
        Detection d = r.detections().stream().filter(x -> x.score().equals("learned_for_good_epoch")).findFirst().orElseThrow();
        assertThat(d.auroc()).as("never-learned noisy examples rank above every learned clean one").isEqualTo(1.0);
    }
}
