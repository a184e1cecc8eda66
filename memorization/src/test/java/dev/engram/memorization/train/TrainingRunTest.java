package dev.engram.memorization.train;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.scores.ScoresAnalysis;
import dev.engram.engine.Tensor;
import dev.engram.memorization.cli.EngramCli;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.train.ProgressMode;
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
import static org.assertj.core.api.Assertions.within;

/** End-to-end plumbing of the training run and the scores analysis on a tiny synthetic 4×4 dataset. */
class TrainingRunTest {
    @TempDir
    Path tmp;

    static Dataset synthetic(String name, int n, long seed) {
        return dev.engram.memorization.rewind.LayerTestSupport.synthetic(name, n, seed);
    }

    private static final TrainingRun.Options ACCOUNTING = new TrainingRun.Options(true, ProgressMode.NONE,
            TrainingRun.Listener.NONE);

    static RunData data(RunFolder run, Dataset train, Dataset test) {
        return RunData.of(run, DataSource.of(new TrainTest(train, test)));
    }

    static ScoresAnalysis.Result scores(RunData data) throws IOException {
        return Analyses.execute(new ScoresAnalysis(), data, ScoresAnalysis.Options.DEFAULTS, Progress.NONE, false);
    }

    static GradientAccounting.Summary account(RunData data, GradientAccounting.Options o) throws IOException {
        return Analyses.execute(new GradientAccounting(), data, o, Progress.NONE, true).headline();
    }

    static ExperimentConfig config(int epochs, double noise) {
        return new ExperimentConfig("mnist", "mlp", noise, 5, epochs, 20, "sgd", 0.05, 0.9, 0.0, "warmup-cosine", 0.1,
                false, 0, "cpu", 0);
    }

    @Test
    void trainsWritesCheckpointsTrajectoriesScoresAndReport() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        ExperimentConfig cfg = config(3, 0.2);
        RunFolder run = TrainingRun.create(tmp.resolve("run"), cfg, train, List.of("test"));
        assertThat(run.noise().noisyCount()).isEqualTo(20);
        List<TrainingRun.EpochStats> stats = TrainingRun.train(data(run, train, test), TrainingRun.Listener.NONE);

        assertThat(stats).extracting(TrainingRun.EpochStats::epoch).containsExactly(0, 1, 2, 3);
        assertThat(run.checkpoints()).extracting(RunFolder.Checkpoint::epoch).containsExactly(0, 1, 2, 3);
        assertThat(stats.get(0).trainLoss()).isNaN(); // no step taken before epoch 1
        for (int e = 1; e <= 3; e++) assertThat(stats.get(e).trainLoss()).isFinite().isPositive();
        // clean examples are easy: accuracy must rise well above chance (0.1) within 3 epochs
        assertThat(stats.get(3).cleanAccuracy()).isGreaterThan(0.5);

        Path dir = run.analysisPath("training");
        Map<String, Tensor> t = SafeTensors.load(dir.resolve(EpochRecords.PER_EXAMPLE));
        assertThat(t.get("correct").shape()).containsExactly(4, 100);
        assertThat(t.get("loss").shape()).containsExactly(4, 100);
        // the stored correctness of the last epoch reproduces the reported clean accuracy
        float[] c = t.get("correct").toFloatArray();
        int[] clean = run.noise().cleanIndices();
        double acc = 0;
        for (int i : clean) acc += c[3 * 100 + i];
        assertThat(acc / clean.length).isEqualTo(stats.get(3).cleanAccuracy());
        assertThat(Files.readAllLines(dir.resolve("accuracy.csv"))).hasSize(5);
        assertThat(run.readResults("training").get("epochs").getAsInt()).isEqualTo(3);
        assertThat(run.provenance().orElseThrow().endTime()).isNotNull();

        ScoresAnalysis.Result r = scores(data(run, train, test));
        assertThat(r.examples()).isEqualTo(100);
        assertThat(r.noisy()).isEqualTo(20);
        assertThat(r.detections()).hasSize(5).allSatisfy(d -> {
            assertThat(d.auroc()).isBetween(0.0, 1.0);
            assertThat(d.precisionAtNumNoisy()).isBetween(0.0, 1.0);
        });
        assertThat(run.analysisPath("scores").resolve("scores.csv")).isRegularFile();

        String html = ReportWriter.render(run);
        assertThat(html).contains("id=\"training\"").contains("id=\"scores\"").contains("accuracy.png");
    }

    @Test
    void scoresRefuseARunWithoutNoiseOrWithoutTraining() throws IOException {
        Dataset train = synthetic("syn-train", 50, 1);
        RunFolder cleanRun = TrainingRun.create(tmp.resolve("clean"), config(1, 0.0), train, List.of("test"));
        assertThatThrownBy(() -> scores(data(cleanRun, train, train))).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("no noisy examples");
        RunFolder untrained = TrainingRun.create(tmp.resolve("untrained"), config(1, 0.2), train, List.of("test"));
        assertThatThrownBy(() -> scores(data(untrained, train, train))).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("per-example.safetensors").hasMessageContaining("engram train");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EngramCli.run(new PrintWriter(out), new PrintWriter(err), "scores", "--run", untrained.dir().toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("engram scores: error:").contains("engram train");
    }

    @Test
    void gradientAccountingDuringTrainingAndFromCheckpoints() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        RunFolder run = TrainingRun.create(tmp.resolve("acc"), config(2, 0.2), train, List.of("test"));
        TrainingRun.train(data(run, train, test), ACCOUNTING);

        List<EpochAccount> during = GradientAccounting.readRecords(run, EpochAccount.DURING_TRAINING);
        assertThat(during).extracting(EpochAccount::epoch).containsExactly(1, 2);
        for (EpochAccount a : during) {
            assertThat(a.groups()).containsExactly("fc1", "fc2", "fc3");
            assertThat(a.batches()).isEqualTo(5); // 100 examples, batch 20
            assertThat(a.additivityError()).isLessThan(1e-4);
            for (float v : a.allNorms()) assertThat(v).isFinite().isPositive(); // every example seen once
            for (double c : a.cosine()) assertThat(c).isBetween(-1.0, 1.0);
        }
        Path dir = run.analysisPath(GradientAccounting.NAME);
        assertThat(run.readResults(GradientAccounting.NAME).getAsJsonObject("summary").get("source").getAsString())
                .isEqualTo("training");
        for (String f : List.of("layers.csv", "example-norms.csv", "norms-by-layer.png", "clean-norms-by-layer-blocks.png",
                "noisy-norms-by-layer-blocks.png", "cosine-heatmap.png", "example-norms-by-epoch.png",
                "example-norm-histogram.png")) {
            assertThat(dir.resolve(f)).isRegularFile();
        }
        assertThat(Files.readAllLines(dir.resolve("layers.csv"))).hasSize(1 + 2 * 3);

        GradientAccounting.Summary s = account(data(run, train, train), new GradientAccounting.Options(List.of(0, 2), 0));
        assertThat(s.epochs()).containsExactly(0, 2);
        assertThat(s.maxAdditivityError()).isLessThan(1e-4);
        assertThat(GradientAccounting.readRecords(run, EpochAccount.AT_CHECKPOINT)).hasSize(2);
        // the records of the training run are kept
        assertThat(GradientAccounting.readRecords(run, EpochAccount.DURING_TRAINING)).hasSize(2);
        assertThat(ReportWriter.render(run)).contains("id=\"grad-accounting\"").contains("cosine-heatmap.png");
    }

    @Test
    void accountingFromAMissingOrCorruptCheckpointNamesTheFile() throws IOException {
        Dataset train = synthetic("syn-train", 60, 1), test = synthetic("syn-test", 20, 2);
        RunFolder run = TrainingRun.create(tmp.resolve("broken"), config(2, 0.2), train, List.of("test"));
        TrainingRun.train(data(run, train, test), TrainingRun.Listener.NONE);
        Path second = run.checkpointPath(2);
        Files.delete(second);
        assertThatThrownBy(() -> account(data(run, train, train), new GradientAccounting.Options(List.of(2), 0)))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(second.toString())
                .hasMessageContaining("missing checkpoint").hasMessageContaining("--resume"); // its last epoch is gone
        assertThatThrownBy(() -> run.requireCheckpoint(9)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("epoch 9 is outside the run's epochs 0..2").hasMessageNotContaining("engram train");
        Path first = run.checkpointPath(1);
        byte[] whole = Files.readAllBytes(first);
        Files.write(first, java.util.Arrays.copyOf(whole, whole.length - 100)); // truncated: found by its header alone
        assertThat(run.requireCheckpoint(1)).isEqualTo(first); // present
        assertThatThrownBy(() -> run.requireIntactCheckpoint(1)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(first.toString()).hasMessageContaining("is damaged").hasMessageContaining("--resume");
        Files.write(first, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        assertThatThrownBy(() -> account(data(run, train, train), new GradientAccounting.Options(List.of(1), 0)))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(first.toString());
    }

    @Test
    void accountingOnARunWithoutNoiseSaysSo() throws IOException {
        Dataset train = synthetic("syn-train", 40, 1), test = synthetic("syn-test", 20, 2);
        RunFolder clean = TrainingRun.create(tmp.resolve("clean-acc"), config(1, 0.0), train, List.of("test"));
        TrainingRun.train(data(clean, train, test), ACCOUNTING);
        assertThat(clean.hasResults(GradientAccounting.NAME)).isFalse(); // nothing to compare: accounting skipped
        assertThatThrownBy(() -> account(data(clean, train, train), new GradientAccounting.Options(List.of(), 0)))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("no noisy examples")
                .hasMessageContaining("noise fraction 0.0");
    }

    @Test
    void resumedRunEndsWithTheSameWeightsAsAnUninterruptedOne() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        ExperimentConfig cfg = config(4, 0.2);
        RunFolder whole = TrainingRun.create(tmp.resolve("whole"), cfg, train, List.of("test"));
        List<TrainingRun.EpochStats> ref = TrainingRun.train(data(whole, train, test), ACCOUNTING);

        RunFolder cut = TrainingRun.create(tmp.resolve("cut"), cfg, train, List.of("test"));
        TrainingRun.Listener crashAfter2 = s -> {
            if (s.epoch() == 2) throw new IllegalStateException("simulated crash after epoch 2");
        };
        assertThatThrownBy(() -> TrainingRun.train(data(cut, train, test),
                new TrainingRun.Options(true, ProgressMode.NONE, crashAfter2)))
                .hasMessageContaining("simulated crash");
        assertThat(Checkpoint.epochs(cut.checkpointsDir())).containsExactly(0, 1, 2);
        assertThat(cut.hasResults("training")).isFalse();
        // starting it again from scratch is refused; resuming continues it
        assertThatThrownBy(() -> TrainingRun.train(data(cut, train, test), TrainingRun.Listener.NONE))
                .isInstanceOf(RunFolderException.class).hasMessageContaining("--resume");
        // a missing optimizer state or a damaged state file of the last checkpoint is named before any training
        Path optim = Checkpoint.optimizerFile(cut.checkpointsDir(), Checkpoint.epochName(2));
        Path moved = optim.resolveSibling("optim.bak");
        java.nio.file.Files.move(optim, moved);
        assertThatThrownBy(() -> TrainingRun.resume(data(cut, train, test), ACCOUNTING)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(optim + " is missing");
        java.nio.file.Files.move(moved, optim);
        Path state = Checkpoint.stateFile(cut.checkpointsDir(), Checkpoint.epochName(2));
        String json = java.nio.file.Files.readString(state);
        java.nio.file.Files.writeString(state, json.substring(0, json.length() / 2));
        assertThatThrownBy(() -> TrainingRun.resume(data(cut, train, test), ACCOUNTING)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(state.toString()).hasMessageContaining("malformed checkpoint state");
        java.nio.file.Files.writeString(state, json);
        List<TrainingRun.EpochStats> resumed = TrainingRun.resume(data(cut, train, test), ACCOUNTING);

        assertThat(resumed).hasSize(5);
        Map<String, Tensor> a = SafeTensors.load(whole.checkpointPath(4)), b = SafeTensors.load(cut.checkpointPath(4));
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String k : a.keySet()) assertThat(b.get(k).toFloatArray()).as(k).containsExactly(a.get(k).toFloatArray());
        for (int e = 0; e <= 4; e++) {
            assertThat(resumed.get(e).cleanAccuracy()).isEqualTo(ref.get(e).cleanAccuracy());
            assertThat(resumed.get(e).noisyAccuracy()).isEqualTo(ref.get(e).noisyAccuracy());
            assertThat(Double.valueOf(resumed.get(e).trainLoss())).isEqualTo(Double.valueOf(ref.get(e).trainLoss()));
        }
        Path pa = whole.analysisPath("training").resolve(EpochRecords.PER_EXAMPLE);
        Path pb = cut.analysisPath("training").resolve(EpochRecords.PER_EXAMPLE);
        assertThat(SafeTensors.load(pb).get("loss").toFloatArray()).containsExactly(SafeTensors.load(pa).get("loss").toFloatArray());
        // accounting continued after the interruption with identical numbers
        List<EpochAccount> ga = GradientAccounting.readRecords(whole, EpochAccount.DURING_TRAINING);
        List<EpochAccount> gb = GradientAccounting.readRecords(cut, EpochAccount.DURING_TRAINING);
        assertThat(gb).extracting(EpochAccount::epoch).containsExactly(1, 2, 3, 4);
        assertThat(gb.get(3).noisyNorm()).containsExactly(ga.get(3).noisyNorm());
        assertThat(cut.provenance().orElseThrow().endTime()).isNotNull();
    }

    @Test
    void resumedRunWithDropoutEndsWithTheSameWeightsAsAnUninterruptedOne() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        ExperimentConfig cfg = config(4, 0.2).toBuilder().methods(dev.engram.memorization.run.TrainingMethods.STANDARD
                .toBuilder().dropout(0.5).build()).build();
        TrainingRun.Options plain = new TrainingRun.Options(false, ProgressMode.NONE, TrainingRun.Listener.NONE);
        RunFolder whole = TrainingRun.create(tmp.resolve("whole"), cfg, train, List.of("test"));
        TrainingRun.train(data(whole, train, test), plain);
        RunFolder cut = TrainingRun.create(tmp.resolve("cut"), cfg, train, List.of("test"));
        TrainingRun.Listener crashAfter2 = s -> {
            if (s.epoch() == 2) throw new IllegalStateException("simulated crash after epoch 2");
        };
        assertThatThrownBy(() -> TrainingRun.train(data(cut, train, test),
                new TrainingRun.Options(false, ProgressMode.NONE, crashAfter2))).hasMessageContaining("simulated crash");
        // the checkpoint holds the dropout streams' positions: two epochs of five batches advanced them
        Map<String, Long> counters = Checkpoint.readState(cut.checkpointsDir(), Checkpoint.epochName(2)).counters();
        assertThat(counters.keySet().stream().filter(k -> k.startsWith("random.")).toList()).isNotEmpty();
        assertThat(counters.entrySet().stream().filter(e -> e.getKey().startsWith("random."))
                .allMatch(e -> e.getValue() > 0)).isTrue();
        TrainingRun.resume(data(cut, train, test), plain); // a new model, as a new process would build
        Map<String, Tensor> a = SafeTensors.load(whole.checkpointPath(4)), b = SafeTensors.load(cut.checkpointPath(4));
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String k : a.keySet()) assertThat(b.get(k).toFloatArray()).as(k).containsExactly(a.get(k).toFloatArray());
        // and dropout did change the training: without it the weights differ
        RunFolder noDrop = TrainingRun.create(tmp.resolve("nodrop"), config(4, 0.2), train, List.of("test"));
        TrainingRun.train(data(noDrop, train, test), plain);
        Map<String, Tensor> c = SafeTensors.load(noDrop.checkpointPath(4));
        assertThat(c.get(a.keySet().iterator().next()).toFloatArray())
                .isNotEqualTo(a.get(a.keySet().iterator().next()).toFloatArray());
    }

    @Test
    void randomLabelsCorruptEveryLabelAndCleanAccuracyIsNotApplicable() throws IOException {
        Dataset train = synthetic("syn-train", 60, 1), test = synthetic("syn-test", 30, 2);
        RunFolder run = TrainingRun.create(tmp.resolve("rl"), config(1, 1.0), train, List.of("test"));
        assertThat(run.noise().noisyCount()).isEqualTo(60);
        int[] given = run.noise().noisyLabels();
        for (int i = 0; i < 60; i++) assertThat(given[i]).as("label %d", i).isNotEqualTo(train.label(i));
        List<TrainingRun.EpochStats> st = TrainingRun.train(data(run, train, test), TrainingRun.Listener.NONE);
        assertThat(st.get(1).cleanAccuracy()).isNaN();
        assertThat(st.get(1).noisyAccuracy()).isBetween(0.0, 1.0);
        String html = ReportWriter.render(run);
        assertThat(html).contains("n/a / ").doesNotContain("NaN");
        assertThatThrownBy(() -> config(1, 1.01)).hasMessageContaining("noiseFraction").hasMessageContaining("[0, 1]");
    }

    /** The norm of each layer group of the weights in {@code file}, by hand. */
    private static double[] normsOf(Path file, Map<String, List<String>> groups) throws IOException {
        Map<String, Tensor> w = SafeTensors.load(file);
        double[] out = new double[groups.size()];
        int g = 0;
        for (List<String> names : groups.values()) {
            double ss = 0;
            for (String n : names) for (float v : w.get(n).toFloatArray()) ss += (double) v * v;
            out[g++] = Math.sqrt(ss);
        }
        return out;
    }

    @Test
    void weightNormsMatchTheCheckpointsAndSurviveAResume() throws IOException {
        Dataset train = synthetic("syn-train", 100, 1), test = synthetic("syn-test", 50, 2);
        ExperimentConfig cfg = config(3, 0.2).toBuilder().optimizer("adamw").peakLr(0.01).trackWeightNorms(true).build();
        TrainingRun.Options plain = new TrainingRun.Options(false, ProgressMode.NONE, TrainingRun.Listener.NONE);
        RunFolder whole = TrainingRun.create(tmp.resolve("whole"), cfg, train, List.of("test"));
        TrainingRun.train(data(whole, train, test), plain);
        Path csv = whole.analysisPath("training").resolve(WeightNormRecorder.FILE);
        dev.engram.memorization.io.CsvTable t = dev.engram.memorization.io.CsvTable.read(csv);
        int perEpoch = 5; // 100 examples, batch 20
        assertThat(t.rowCount()).isEqualTo(3 * perEpoch);
        assertThat(t.header()).containsExactly("step", "epoch", "learning_rate", "batch_loss", "batch_accuracy",
                "norm_fc1", "norm_fc2", "norm_fc3", "norm_all");
        var groups = ((dev.engram.nn.models.HasLayerGroups) data(whole, train, test).newModel()).layerGroups();
        // row s holds the weights after s steps: step 0 = epoch-000, step 5 = epoch-001, step 10 = epoch-002
        for (int e = 0; e < 3; e++) {
            List<String> row = t.rows().get(e * perEpoch);
            assertThat(Long.parseLong(row.get(0))).isEqualTo((long) e * perEpoch);
            double[] hand = normsOf(whole.checkpointPath(e), groups);
            double all = 0;
            for (int g = 0; g < 3; g++) {
                assertThat(Double.parseDouble(row.get(5 + g))).isCloseTo(hand[g], within(1e-9 * hand[g]));
                all += hand[g] * hand[g];
            }
            assertThat(Double.parseDouble(row.get(8))).isCloseTo(Math.sqrt(all), within(1e-9 * Math.sqrt(all)));
        }
        assertThat(Files.exists(whole.analysisPath("training").resolve(WeightNormRecorder.CHART))).isTrue();

        RunFolder cut = TrainingRun.create(tmp.resolve("cut"), cfg, train, List.of("test"));
        TrainingRun.Listener crashAfter2 = s -> {
            if (s.epoch() == 2) throw new IllegalStateException("simulated crash after epoch 2");
        };
        assertThatThrownBy(() -> TrainingRun.train(data(cut, train, test),
                new TrainingRun.Options(false, ProgressMode.NONE, crashAfter2))).hasMessageContaining("simulated crash");
        TrainingRun.resume(data(cut, train, test), plain);
        assertThat(Files.readString(cut.analysisPath("training").resolve(WeightNormRecorder.FILE)))
                .isEqualTo(Files.readString(csv));
    }

    @Test
    void resumingAFinishedRunVerifiesEveryCheckpointItBuildsOn() throws IOException {
        Dataset train = synthetic("syn-train", 60, 1), test = synthetic("syn-test", 20, 2);
        RunFolder run = TrainingRun.create(tmp.resolve("finished"), config(2, 0.2), train, List.of("test"));
        TrainingRun.train(data(run, train, test), TrainingRun.Listener.NONE);
        // resuming an intact finished run changes nothing
        assertThat(TrainingRun.resume(data(run, train, test), new TrainingRun.Options(false,
                ProgressMode.NONE, TrainingRun.Listener.NONE))).hasSize(3);
        Path last = run.checkpointPath(2);
        byte[] bytes = Files.readAllBytes(last);
        Files.write(last, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated
        assertThatThrownBy(() -> TrainingRun.resume(data(run, train, test), new TrainingRun.Options(false,
                ProgressMode.NONE, TrainingRun.Listener.NONE)))
                .isInstanceOf(RunFolderException.class).hasMessageContaining(last.toString())
                .hasMessageContaining("damaged");
    }
}
