package dev.engram.memorization.rewind;

import dev.engram.engine.Tensor;
import dev.engram.memorization.cli.EngramCli;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.nn.models.Models;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.rewind.LayerRewinding.BnStats;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layer rewinding on a tiny trained MLP run and on a small BN network. */
class RewindingTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static TrainTest data;
    static RunFolder run;

    @BeforeAll
    static void train() throws IOException {
        data = LayerTestSupport.data();
        run = LayerTestSupport.trainedRun(shared.resolve("run"), data, 3, 0.2);
    }

    @Test
    void rewindingToTheFinalEpochReproducesTheFinalAccuracies() throws IOException {
        RewindingAnalysis.Result r = LayerTestSupport.rewind(run, data, LayerTestSupport.rewindAt(List.of(3, 0)));
        assertThat(r.groups()).containsExactly("fc1", "fc2", "fc3");
        assertThat(r.epochs()).containsExactly(0, 3);
        assertThat(r.noisyExamples()).isEqualTo(20);
        for (int g = 0; g < 3; g++) {
            assertThat(r.cleanAccuracy()[1][g]).isEqualTo(r.finalClean());
            assertThat(r.noisyAccuracy()[1][g]).isEqualTo(r.finalNoisy());
            assertThat(r.testAccuracy()[1][g]).isEqualTo(r.finalTest());
        }
        // the final model matches the training run's own last evaluation
        assertThat(r.finalClean()).isEqualTo(run.readResults("training").get("finalCleanTrainAccuracy").getAsDouble());
        // rewinding every layer to the initialisation destroys clean accuracy for at least one group
        double worst = Math.min(r.cleanAccuracy()[0][0], Math.min(r.cleanAccuracy()[0][1], r.cleanAccuracy()[0][2]));
        assertThat(worst).isLessThan(r.finalClean());

        Path dir = run.analysisPath("rewinding");
        assertThat(Files.readAllLines(dir.resolve(RewindingAnalysis.TABLE))).hasSize(1 + 2 * 3);
        assertThat(dir.resolve("rewinding-1-clean.png")).isRegularFile();
        assertThat(dir.resolve("rewinding-2-noisy.png")).isRegularFile();
        assertThat(dir.resolve("rewinding-3-test.png")).isRegularFile();
        assertThat(run.readResults("rewinding").get("finalEpoch").getAsInt()).isEqualTo(3);
        assertThat(ReportWriter.render(run)).contains("id=\"rewinding\"").contains("Layer rewinding")
                .contains("rewinding-2-noisy.png");
    }

    @Test
    void defaultEpochListIsEveryTenthSavedEpochPlusTheFinalOne() {
        assertThat(RewindingAnalysis.defaultEpochs(List.of(0, 1, 2, 3), 3)).containsExactly(0, 3);
        assertThat(RewindingAnalysis.defaultEpochs(List.of(0, 5, 10, 15, 20, 25), 25)).containsExactly(0, 10, 20, 25);
        assertThat(RewindingAnalysis.defaultEpochs(List.of(0, 10, 20, 30), 30)).containsExactly(0, 10, 20, 30);
    }

    @Test
    void rewindingAGroupChangesOnlyItsTensors() throws IOException {
        Module model = Models.create("mlp", 1, 4, 10, 5);
        Map<String, float[]> fin = LayerTestSupport.snapshot(LayerTestSupport.checkpoint(run, 3, model));
        Map<String, Tensor> finT = LayerTestSupport.checkpoint(run, 3, model);
        Map<String, Tensor> initT = LayerTestSupport.checkpoint(run, 1, model);
        Map<String, float[]> init = LayerTestSupport.snapshot(initT);
        Map<String, List<String>> expected = Map.of("fc1", List.of("1.weight", "1.bias"),
                "fc2", List.of("3.weight", "3.bias"), "fc3", List.of("5.weight", "5.bias"));
        for (var e : expected.entrySet()) {
            model.loadStateDict(finT, true);
            List<String> changed = LayerRewinding.rewind(model, initT, e.getKey(), BnStats.KEEP_FINAL);
            assertThat(changed).containsExactlyElementsOf(e.getValue());
            Map<String, float[]> now = LayerTestSupport.snapshot(model.stateDict());
            for (String k : now.keySet()) {
                float[] want = e.getValue().contains(k) ? init.get(k) : fin.get(k);
                assertThat(now.get(k)).as(k + " after rewinding " + e.getKey()).isEqualTo(want);
            }
            // the checkpoints differ, so the rewound tensors really changed
            assertThat(init.get(e.getValue().get(0))).isNotEqualTo(fin.get(e.getValue().get(0)));
        }
        assertThatThrownBy(() -> LayerRewinding.rewind(model, initT, "fc9", BnStats.KEEP_FINAL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fc9").hasMessageContaining("fc1");
        assertThatThrownBy(() -> LayerRewinding.rewind(model, Map.of(), "fc1", BnStats.KEEP_FINAL))
                .hasMessageContaining("missing '1.weight'");
    }

    @Test
    void bnStatisticsStayFinalOrAreRewoundWithTheirGroup() {
        LayerTestSupport.BnNet model = new LayerTestSupport.BnNet(1);
        LayerTestSupport.BnNet early = new LayerTestSupport.BnNet(2);
        // give every buffer of the two models distinct values
        float v = 1;
        for (Tensor t : model.namedBuffers().values()) t.fill(v++);
        for (Tensor t : early.namedBuffers().values()) t.fill(v++);
        Map<String, float[]> fin = LayerTestSupport.snapshot(model.stateDict());
        Map<String, float[]> old = LayerTestSupport.snapshot(early.stateDict());

        assertThat(LayerRewinding.tensorNames(model, "block2", BnStats.KEEP_FINAL))
                .containsExactly("3.weight", "4.weight", "4.bias");
        assertThat(LayerRewinding.tensorNames(model, "block2", BnStats.REWIND)).containsExactly("3.weight", "4.weight",
                "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked");
        assertThat(LayerRewinding.tensorNames(model, "head", BnStats.REWIND)).containsExactly("7.weight", "7.bias");

        LayerRewinding.rewind(model, early.stateDict(), "block2", BnStats.KEEP_FINAL);
        Map<String, float[]> kept = LayerTestSupport.snapshot(model.stateDict());
        assertThat(kept.get("4.running_mean")).containsExactly(fin.get("4.running_mean"));
        assertThat(kept.get("4.weight")).containsExactly(old.get("4.weight"));

        LayerRewinding.rewind(model, early.stateDict(), "block2", BnStats.REWIND);
        Map<String, float[]> rewound = LayerTestSupport.snapshot(model.stateDict());
        for (String b : List.of("4.running_mean", "4.running_var", "4.num_batches_tracked")) {
            assertThat(rewound.get(b)).as(b).containsExactly(old.get(b));
        }
        // the other block's statistics are never touched
        for (String b : List.of("1.running_mean", "1.running_var", "1.num_batches_tracked")) {
            assertThat(rewound.get(b)).as(b).containsExactly(fin.get(b));
        }
        assertThat(BnStats.parse("rewind")).isEqualTo(BnStats.REWIND);
        assertThatThrownBy(() -> BnStats.parse("reset")).hasMessageContaining("keep-final");
    }

    @Test
    void missingOrCorruptCheckpointsAreNamed() throws IOException {
        RunFolder broken = LayerTestSupport.trainedRun(tmp.resolve("broken"), data, 2, 0.2);
        Path one = broken.checkpointPath(1);
        Files.delete(one);
        assertThatThrownBy(() -> LayerTestSupport.rewind(broken, data, LayerTestSupport.rewindAt(List.of(1))))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(one.toString())
                .hasMessageContaining("epochs [0, 2]");
        Path last = broken.checkpointPath(2);
        Files.write(last, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        assertThatThrownBy(() -> LayerTestSupport.rewind(broken, data, LayerTestSupport.rewindAt(List.of(0))))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(last.toString());
        assertThatThrownBy(() -> LayerTestSupport.rewind(run, data, LayerTestSupport.rewindAt(List.of(7))))
                .hasMessageContaining("checkpoint 7").hasMessageContaining("0..3");
    }

    @Test
    void aRunWithoutNoiseIsRefusedWithAClearMessage() throws IOException {
        RunFolder clean = LayerTestSupport.trainedRun(tmp.resolve("clean"), data, 1, 0.0);
        assertThatThrownBy(() -> LayerTestSupport.rewind(clean, data, RewindingAnalysis.Options.DEFAULTS))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("no noisy examples")
                .hasMessageContaining("Layer rewinding");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EngramCli.run(new PrintWriter(out), new PrintWriter(err), "rewind", "--run", clean.dir().toString());
        assertThat(code).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("engram rewind: error:").contains("no noisy examples");
    }

    @Test
    void helpDescribesTheOptions() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertThat(EngramCli.run(new PrintWriter(out), new PrintWriter(err), "rewind", "--help")).isZero();
        assertThat(out.toString()).contains("--run").contains("--checkpoints").contains("--bn").contains("keep-final");
    }
}
