package dev.engram.memorization.report;

import dev.engram.engine.Tensor;
import dev.engram.memorization.cli.EngramCli;
import dev.engram.memorization.io.CsvTable;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.HasTaps;
import dev.engram.datasets.NpyWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A run whose training loss spikes to about 1e25 on one batch, and whose per-example loss reaches about 1e25 in one
 * evaluation, still finishes: training, the per-example and checkpoint scores and the report (whose charts once spun
 * forever on a huge finite value) all complete, and the report shows the spike's epoch.
 */
class LossSpikeRunTest {
    @TempDir
    Path tmp;

    /** A small MLP whose class-0 logit is raised by 1e25 on a few chosen training and evaluation passes. */
    public static class SpikeNet extends Module implements HasLayerGroups, HasTaps {
        /** Forward passes in training mode so far, and the one that spikes. */
        static final AtomicInteger TRAIN_CALLS = new AtomicInteger(), EVAL_CALLS = new AtomicInteger();
        static volatile int trainSpike = -1, evalSpike = -1;
        private final Linear fc1, fc2;
        private final ReLU relu = new ReLU();

        public SpikeNet(int channels, int imageSize, int classes, long seed) {
            Seeds s = Seeds.of(seed);
            fc1 = registerModule("fc1", new Linear(channels * imageSize * imageSize, 16, true, s));
            fc2 = registerModule("fc2", new Linear(16, classes, true, s));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor logits = fc2.forward(tap("hidden", relu.forward(fc1.forward(x.reshape(x.shape()[0], -1)))));
            int call = isTraining() ? TRAIN_CALLS.getAndIncrement() : EVAL_CALLS.getAndIncrement();
            // a few training steps and a run of evaluation passes (whatever else the run evaluates, these include
            // several epochs' evaluations of the training set)
            if (isTraining() ? call >= trainSpike && call < trainSpike + 4 : call >= evalSpike && call < evalSpike + 20) {
                // +1e25 on class 0's logit, a constant: every example not labelled 0 gets a loss near 1e25, while
                // the gradient stays that of a saturated softmax (bounded), so training goes on
                int b = logits.shape()[0], k = logits.shape()[1];
                float[] shift = new float[b * k];
                for (int i = 0; i < b; i++) shift[i * k] = 1e25f;
                logits = logits.add(Tensor.of(shift, b, k));
            }
            return logits;
        }

        @Override
        public LinkedHashMap<String, List<String>> layerGroups() {
            LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
            g.put("fc1", List.of("fc1.weight", "fc1.bias"));
            g.put("fc2", List.of("fc2.weight", "fc2.bias"));
            return g;
        }

        @Override
        public List<String> tapNames() {
            return List.of("hidden");
        }
    }

    private int engram(StringWriter out, StringWriter err, String... args) {
        return EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void aHugeFiniteLossSpikeStillGivesEveryAnalysisAndTheReport() throws Exception {
        Path data = tmp.resolve("arrays");
        Files.createDirectories(data);
        int n = 80, f = 6;
        float[] x = new float[n * f];
        int[] y = new int[n];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < f; j++) x[i * f + j] = (float) r.nextGaussian() + (j == y[i] ? 3 : 0);
        }
        Files.write(data.resolve("x.npy"), NpyWriter.float32(new long[] {n, f}, x));
        Files.write(data.resolve("y.npy"), NpyWriter.labels(y));
        Path run = tmp.resolve("run");
        SpikeNet.TRAIN_CALLS.set(0);
        SpikeNet.EVAL_CALLS.set(0);
        SpikeNet.trainSpike = 500; // past the estimate's timed steps (at most 45), inside training (960 steps)
        SpikeNet.evalSpike = 40;
        StringWriter out = new StringWriter(), err = new StringWriter();
        try {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> {
                assertThat(engram(out, err, "train", "--run", run.toString(), "--dataset", "npy:" + data, "--model",
                        "class:" + SpikeNet.class.getName(), "--epochs", "120", "--batch-size", "8", "--noise", "0.2",
                        "--lr", "0.05")).as(err.toString()).isZero();
                assertThat(engram(out, err, "scores", "--run", run.toString())).as(err.toString()).isZero();
                assertThat(engram(out, err, "checkpoint-scores", "--run", run.toString())).as(err.toString()).isZero();
                assertThat(engram(out, err, "report", "--run", run.toString())).as(err.toString()).isZero();
            });
        } finally {
            SpikeNet.trainSpike = -1;
            SpikeNet.evalSpike = -1;
        }
        CsvTable acc = CsvTable.read(run.resolve("analyses/training/accuracy.csv"));
        int lossColumn = acc.header().indexOf("train_loss");
        double maxLoss = acc.rows().stream().map(row -> row.get(lossColumn)).filter(v -> !v.equals("NaN"))
                .mapToDouble(Double::parseDouble).max().orElseThrow();
        assertThat(maxLoss).as("the spike reached the training records").isGreaterThan(1e22).isFinite();
        CsvTable scores = CsvTable.read(run.resolve("analyses/scores/scores.csv"));
        int meanLoss = scores.header().indexOf("mean_loss");
        assertThat(scores.rows().stream().mapToDouble(row -> Double.parseDouble(row.get(meanLoss))).max().orElseThrow())
                .as("the evaluation spike reached the per-example scores").isGreaterThan(1e21).isFinite();
        String html = Files.readString(run.resolve("report.html"));
        assertThat(html).contains("id=\"training\"").contains("id=\"scores\"").contains("id=\"checkpoint-scores\"");
        assertThat(run.resolve("analyses/training/loss.png")).exists();
    }
}
