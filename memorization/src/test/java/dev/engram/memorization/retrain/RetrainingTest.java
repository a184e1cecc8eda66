package dev.engram.memorization.retrain;

import dev.engram.datasets.Dataset;
import dev.engram.engine.Tensor;
import dev.engram.memorization.cli.EngramCli;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.nn.models.Models;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.retrain.LayerRetraining.BnStats;
import dev.engram.memorization.retrain.LayerRetraining.Curve;
import dev.engram.memorization.retrain.LayerRetraining.Settings;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;
import dev.engram.nn.train.StepContext;
import dev.engram.nn.train.StepListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.engram.memorization.run.ExperimentConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layer retraining on a tiny trained MLP run and on a small BN network. */
class RetrainingTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static TrainTest data;
    static RunFolder run;
    static Dataset labeled;

    @BeforeAll
    static void train() throws IOException {
        data = LayerTestSupport.data();
        run = LayerTestSupport.trainedRun(shared.resolve("run"), data, 3, 0.2);
        labeled = run.noise().applyTo(data.train());
    }

    private static Settings settings(int epochs) {
        return settings(epochs, 0.05, false, LayerRetraining.BnStats.UPDATE, 3);
    }

    /** The paper's optimizer (momentum 0.9, wd 5e-4) at batch 20, seed 7, with the given schedule and modes. */
    private static Settings settings(int epochs, double lr, boolean trainAll, LayerRetraining.BnStats bn, int earlyStop) {
        return new Settings(epochs, lr, 0.9, 5e-4, 20, trainAll, bn, earlyStop, 7);
    }

    /** Records the example ids of every training batch. */
    private static final class Recorder implements StepListener {
        final List<int[]> batches = new ArrayList<>();

        @Override
        public void afterBackward(StepContext step) {
            LabeledBatch b = step.batch();
            batches.add(b.exampleIds());
        }
    }

    @Test
    void frozenGroupsStayBitIdenticalAndOnlyCleanExamplesAreTrainedOn() throws IOException {
        Module model = Models.create("mlp", 1, 4, 10, 5);
        Map<String, Tensor> fin = LayerTestSupport.checkpoint(run, 3, model);
        Map<String, Tensor> init = LayerTestSupport.checkpoint(run, 0, model);
        Map<String, float[]> finV = LayerTestSupport.snapshot(fin), initV = LayerTestSupport.snapshot(init);
        int[] clean = run.noise().cleanIndices(), noisy = run.noise().noisyIndices();
        Recorder rec = new Recorder();
        Curve c = LayerRetraining.retrain(model, fin, init, "fc2", labeled, clean, clean, noisy,
                dev.engram.datasets.Normalization.PAPER, settings(2, 0.05, false, LayerRetraining.BnStats.UPDATE, 0), LayerRetraining.Listener.NONE, rec);

        assertThat(c.trainedTensors()).containsExactly("3.weight", "3.bias");
        assertThat(c.epochsRun()).isEqualTo(2);
        assertThat(c.cleanAccuracy()).hasSize(3);
        Map<String, float[]> now = LayerTestSupport.snapshot(model.stateDict());
        for (String k : List.of("1.weight", "1.bias", "5.weight", "5.bias")) {
            assertThat(now.get(k)).as(k).isEqualTo(finV.get(k));
        }
        assertThat(now.get("3.weight")).isNotEqualTo(finV.get("3.weight")).isNotEqualTo(initV.get("3.weight"));
        // every parameter is trainable again afterwards
        assertThat(model.namedParameters().values()).allMatch(Tensor::requiresGrad);

        // training batches: only clean examples, each batch at least 2, every clean example once per epoch
        Set<Integer> cleanSet = new HashSet<>();
        for (int i : clean) cleanSet.add(i);
        List<Integer> seen = new ArrayList<>();
        for (int[] b : rec.batches) {
            assertThat(b.length).isGreaterThanOrEqualTo(2);
            for (int i : b) {
                assertThat(cleanSet).contains(i);
                seen.add(i);
            }
        }
        assertThat(seen).hasSize(2 * clean.length);
        assertThat(new HashSet<>(seen)).isEqualTo(cleanSet);
    }

    @Test
    void trainAllChangesEveryGroup() throws IOException {
        Module model = Models.create("mlp", 1, 4, 10, 5);
        Map<String, Tensor> fin = LayerTestSupport.checkpoint(run, 3, model);
        Map<String, Tensor> init = LayerTestSupport.checkpoint(run, 0, model);
        Map<String, float[]> finV = LayerTestSupport.snapshot(fin);
        int[] clean = run.noise().cleanIndices();
        Curve c = LayerRetraining.retrain(model, fin, init, "fc2", labeled, clean, clean, run.noise().noisyIndices(),
                dev.engram.datasets.Normalization.PAPER, settings(1, 0.05, true, LayerRetraining.BnStats.UPDATE, 3), null, null);
        assertThat(c.trainedTensors()).hasSize(6);
        Map<String, float[]> now = LayerTestSupport.snapshot(model.stateDict());
        for (String k : List.of("1.weight", "5.weight")) assertThat(now.get(k)).as(k).isNotEqualTo(finV.get(k));
    }

    @Test
    void earlyStopAfterPerfectEpochs() throws IOException {
        Module model = Models.create("mlp", 1, 4, 10, 5);
        Map<String, Tensor> fin = LayerTestSupport.checkpoint(run, 3, model);
        Map<String, Tensor> init = LayerTestSupport.checkpoint(run, 0, model);
        int[] clean = run.noise().cleanIndices();
        // retraining the first layer only, on easy clean data, reaches 100% batch accuracy quickly
        List<String> events = new ArrayList<>();
        Curve c = LayerRetraining.retrain(model, fin, init, "fc1", labeled, clean, clean, run.noise().noisyIndices(),
                dev.engram.datasets.Normalization.PAPER, settings(40, 0.1, false, LayerRetraining.BnStats.UPDATE, 2),
                (g, e, cl, n, t) -> events.add(g + ":" + e), null);
        assertThat(c.stoppedEarly()).isTrue();
        assertThat(c.epochsRun()).isLessThan(40);
        long perfect = 0;
        for (int e = 1; e <= c.epochsRun(); e++) if (c.trainAccuracy()[e] == 1.0) perfect++;
        assertThat(perfect).isEqualTo(2);
        assertThat(c.trainAccuracy()[c.epochsRun()]).isEqualTo(1.0);
        assertThat(events).hasSize(c.epochsRun() + 1).startsWith("fc1:0");
    }

    @Test
    void bnStatisticsOfFrozenGroupsUpdateOrStayFrozen() throws IOException {
        int[] clean = run.noise().cleanIndices(), noisy = run.noise().noisyIndices();
        for (BnStats mode : BnStats.values()) {
            LayerTestSupport.BnNet model = new LayerTestSupport.BnNet(1);
            Map<String, Tensor> fin = new LayerTestSupport.BnNet(2).stateDict();
            Map<String, Tensor> init = new LayerTestSupport.BnNet(3).stateDict();
            Map<String, float[]> finV = LayerTestSupport.snapshot(fin);
            LayerRetraining.retrain(model, fin, init, "block2", labeled, clean, clean, noisy,
                    dev.engram.datasets.Normalization.PAPER, settings(1, 0.05, false, mode, 3), null, null);
            Map<String, float[]> now = LayerTestSupport.snapshot(model.stateDict());
            // the retrained group's own statistics always move
            assertThat(now.get("4.running_mean")).isNotEqualTo(finV.get("4.running_mean"));
            // frozen parameters never move
            assertThat(now.get("0.weight")).isEqualTo(finV.get("0.weight"));
            assertThat(now.get("7.weight")).isEqualTo(finV.get("7.weight"));
            for (String b : List.of("1.running_mean", "1.running_var", "1.num_batches_tracked")) {
                if (mode == BnStats.FREEZE) assertThat(now.get(b)).as(b + " " + mode).isEqualTo(finV.get(b));
                else assertThat(now.get(b)).as(b + " " + mode).isNotEqualTo(finV.get(b));
            }
        }
    }

    @Test
    void selectedBatchesSkipBatchesWithAtMostOneSelectedExample() {
        Dataset d = LayerTestSupport.synthetic("d", 8, 3);
        // unshuffled batches of 4: {0,1,2,3} has one selected example and is skipped; {4..7} keeps 5 and 7
        SelectedBatches s = new SelectedBatches(d, SelectedBatches.mask(8, new int[] {2, 5, 7}), 4, false, 0, 2,
                dev.engram.datasets.Normalization.PAPER);
        List<int[]> ids = new ArrayList<>();
        for (LabeledBatch b : s.epoch(0)) {
            ids.add(b.exampleIds());
            assertThat(b.labels().toIntArray()).containsExactly(d.label(5), d.label(7));
            assertThat(b.inputs().shape()).containsExactly(2, 1, 4, 4);
        }
        assertThat(ids).hasSize(1);
        assertThat(ids.get(0)).containsExactly(5, 7);
        assertThatThrownBy(() -> new SelectedBatches(d, new boolean[3], 4, false, 0, 1, dev.engram.datasets.Normalization.PAPER))
                .hasMessageContaining("3 entries for 8 examples");
    }

    @Test
    void defaultSettingsAreTheRunsOwnAndThePaperAndCodeSettingsArePresets() {
        ExperimentConfig demo = ExperimentConfig.cpuDemo(); // lr 0.05, momentum 0.9, no weight decay
        assertThat(RetrainingAnalysis.Options.DEFAULTS.preset()).isEqualTo(RetrainingAnalysis.Preset.RUN);
        RetrainingAnalysis.Options d = RetrainingAnalysis.Options.DEFAULTS;
        assertThat(RetrainingAnalysis.optimizer(d.preset(), demo, d.peakLr(), d.momentum(), d.weightDecay()))
                .containsExactly(0.05, 0.9, 0.0);
        assertThat(RetrainingAnalysis.optimizer(RetrainingAnalysis.Preset.PAPER, demo, Double.NaN, Double.NaN, Double.NaN))
                .containsExactly(0.1, 0.9, 5e-4);
        assertThat(RetrainingAnalysis.optimizer(RetrainingAnalysis.Preset.CODE, demo, Double.NaN, Double.NaN, Double.NaN))
                .containsExactly(0.01, 0.9, 5e-4);
        assertThat(RetrainingAnalysis.optimizer(RetrainingAnalysis.Preset.PAPER, demo, 0.02, Double.NaN, 0.0))
                .containsExactly(0.02, 0.9, 0.0);
        assertThat(RetrainingAnalysis.Preset.parse("Paper")).isEqualTo(RetrainingAnalysis.Preset.PAPER);
        assertThatThrownBy(() -> RetrainingAnalysis.Preset.parse("fast")).hasMessageContaining("run, paper or code");
    }

    @Test
    void analysisWritesCurvesBarsAndReportSection() throws IOException {
        RetrainingAnalysis.Result r = Analyses.execute(new RetrainingAnalysis(), RunData.of(run, DataSource.of(data)),
                new RetrainingAnalysis.Options(2, 0.1, List.of("2", "fc1"), false, LayerRetraining.BnStats.UPDATE, 3, 0),
                Progress.NONE, true);
        assertThat(r.curves()).extracting(Curve::group).containsExactly("fc3", "fc1");
        assertThat(r.settings().peakLr()).isEqualTo(0.1);
        assertThat(r.settingsSource()).isEqualTo("run; --lr 0.1");
        assertThat(r.settings().momentum()).isEqualTo(run.config().momentum());
        assertThat(r.settings().weightDecay()).isEqualTo(run.config().weightDecay());
        assertThat(r.settings().trainAll()).isFalse();
        assertThat(r.settings().batchSize()).isEqualTo(20);
        assertThat(r.noisyAfter()).hasSize(2);
        for (double v : r.noisyAfter()) assertThat(v).isBetween(0.0, 1.0);
        assertThat(r.finalClean()).isEqualTo(run.readResults("training").get("finalCleanTrainAccuracy").getAsDouble());
        Path dir = run.analysisPath("retraining");
        assertThat(Files.readAllLines(dir.resolve("final.csv"))).hasSize(3);
        assertThat(dir.resolve("retraining-1-final.png")).isRegularFile();
        assertThat(dir.resolve("retraining-2-noisy-curves.png")).isRegularFile();
        assertThat(run.readResults("retraining").getAsJsonArray("curves")).hasSize(2);
        assertThat(ReportWriter.render(run)).contains("id=\"retraining\"").contains("Layer retraining");

        assertThatThrownBy(() -> RetrainingAnalysis.selectGroups(List.of("a", "b"), List.of("c")))
                .hasMessageContaining("unknown layer group 'c'").hasMessageContaining("[a, b]");
        assertThatThrownBy(() -> RetrainingAnalysis.selectGroups(List.of("a", "b"), List.of("5")))
                .hasMessageContaining("index 5");
    }

    @Test
    void refusesRunsWithoutNoiseOrWithoutInitialCheckpoint() throws IOException {
        RunFolder clean = LayerTestSupport.trainedRun(tmp.resolve("clean"), data, 1, 0.0);
        assertThatThrownBy(() -> Analyses.execute(new RetrainingAnalysis(), RunData.of(clean, DataSource.of(data)), RetrainingAnalysis.Options.DEFAULTS, Progress.NONE, true))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("no noisy examples");
        RunFolder broken = LayerTestSupport.trainedRun(tmp.resolve("broken"), data, 1, 0.2);
        Files.delete(broken.checkpointPath(0));
        assertThatThrownBy(() -> Analyses.execute(new RetrainingAnalysis(), RunData.of(broken, DataSource.of(data)), RetrainingAnalysis.Options.DEFAULTS, Progress.NONE, true))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(broken.checkpointPath(0).toString());

        StringWriter out = new StringWriter(), err = new StringWriter();
        assertThat(EngramCli.run(new PrintWriter(out), new PrintWriter(err), "retrain", "--help")).isZero();
        assertThat(out.toString()).contains("--lr").contains("--train-all").contains("--groups").contains("--bn");
        int code = EngramCli.run(new PrintWriter(out), new PrintWriter(err), "retrain", "--run", clean.dir().toString());
        assertThat(code).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("engram retrain: error:").contains("no noisy examples");
    }
}
