package dev.engram.memorization.rewind;

import dev.engram.datasets.Dataset;
import dev.engram.engine.Tensor;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.BatchNorm2d;
import dev.engram.nn.layers.Conv2d;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;
import dev.engram.nn.models.HasLayerGroups;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Tiny runs and models for the rewinding and retraining tests. */
public final class LayerTestSupport {
    private LayerTestSupport() { }

    /** 4×4 one-channel images; class k lights pixel k, so clean labels are easy to learn. */
    public static Dataset synthetic(String name, int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 16];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
            for (int p = 0; p < 16; p++) px[i * 16 + p] = (byte) r.nextInt(60);
            px[i * 16 + y[i]] = (byte) 250;
        }
        return new Dataset(name, 1, 4, 4, 10, px, y);
    }

    /** An MLP run on synthetic data (the config's dataset name is only a label here). */
    public static ExperimentConfig config(int epochs, double noise) {
        return new ExperimentConfig("mnist", "mlp", noise, 5, epochs, 20, "sgd", 0.05, 0.9, 0.0, "warmup-cosine", 0.1,
                false, 0, "cpu", 0);
    }

    /** Synthetic training (100 examples) and test (50) data. */
    public static TrainTest data() {
        return new TrainTest(synthetic("syn-train", 100, 1), synthetic("syn-test", 50, 2));
    }

    /** Creates and trains a run with checkpoints 0..epochs. */
    public static RunFolder trainedRun(Path dir, TrainTest data, int epochs, double noise) throws IOException {
        RunFolder run = TrainingRun.create(dir, config(epochs, noise), data.train(), List.of("test"));
        TrainingRun.train(RunData.of(run, DataSource.of(data)), TrainingRun.Listener.NONE);
        return run;
    }

    /** Layer rewinding of {@code run} through the analysis runner (replacing earlier results). */
    public static RewindingAnalysis.Result rewind(RunFolder run, TrainTest data, RewindingAnalysis.Options o)
            throws IOException {
        return Analyses.execute(new RewindingAnalysis(), RunData.of(run, DataSource.of(data)), o, Progress.NONE, true);
    }

    /** Rewinding options: the given checkpoints, BN statistics kept final, with test accuracy. */
    public static RewindingAnalysis.Options rewindAt(List<Integer> checkpoints) {
        return new RewindingAnalysis.Options(checkpoints, LayerRewinding.BnStats.KEEP_FINAL, true);
    }

    /** The checkpoint of {@code epoch}, checked against {@code model}. */
    public static Map<String, Tensor> checkpoint(RunFolder run, int epoch, dev.engram.nn.Module model) throws IOException {
        return RunData.of(run, name -> {
            throw new IllegalStateException("no data needed");
        }).checkpoint(epoch, model);
    }

    /** Float values of every tensor of a state dict, copied. */
    public static Map<String, float[]> snapshot(Map<String, Tensor> state) {
        Map<String, float[]> out = new LinkedHashMap<>();
        state.forEach((k, t) -> out.put(k, t.toFloatArray()));
        return out;
    }

    /** conv-BN-ReLU ×2, flatten, linear, on 1×4×4 inputs; groups block1 (conv+BN), block2 (conv+BN), head. */
    public static final class BnNet extends Sequential implements HasLayerGroups {
        /** Builds the network with seeded initialisation. */
        public BnNet(long seed) {
            Seeds s = Seeds.of(seed);
            add(new Conv2d(1, 4, 3, 1, 1, false, s));
            add(new BatchNorm2d(4));
            add(new ReLU());
            add(new Conv2d(4, 4, 3, 1, 1, false, s));
            add(new BatchNorm2d(4));
            add(new ReLU());
            add(new Flatten());
            add(new Linear(64, 10, true, s));
        }

        @Override
        public LinkedHashMap<String, List<String>> layerGroups() {
            LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
            g.put("block1", List.of("0.weight", "1.weight", "1.bias"));
            g.put("block2", List.of("3.weight", "4.weight", "4.bias"));
            g.put("head", List.of("7.weight", "7.bias"));
            return g;
        }
    }
}
