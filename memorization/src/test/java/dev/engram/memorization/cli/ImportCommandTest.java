package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;

import dev.engram.datasets.Normalization;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.rewind.RewindingAnalysis;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.HasTaps;
import dev.engram.nn.models.Models;
import dev.engram.nn.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code engram import}: weights written outside a training run (Engram's mlp saved with SafeTensors.write, as
 * PyTorch's save_file would) become a run folder that rewinding and flipping analyse.
 */
class ImportCommandTest {
    @TempDir
    Path tmp;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int engram(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** 28x28 one-channel images: class c has a bright row band at 2c + 2. */
    static Dataset generated(String name, int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 784];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
            for (int p = 0; p < 784; p++) {
                int row = p / 28;
                px[i * 784 + p] = (byte) (row >= 2 * y[i] + 2 && row < 2 * y[i] + 5 ? 200 + r.nextInt(50) : r.nextInt(40));
            }
        }
        return new Dataset(name, 1, 28, 28, 10, px, y);
    }

    /** Trains Engram's mlp on {@code noise}'s labels and writes epoch-000..epoch-NNN weights as PyTorch would. */
    static void writeWeights(Path dir, TrainTest data, NoisyLabels noise, int epochs) throws IOException {
        Files.createDirectories(dir);
        Module m = Models.create("mlp", 1, 28, 10, 3);
        Sgd sgd = Sgd.builder(m).learningRate(0.05).momentum(0.9).build();
        ExampleSet set = ExampleSet.of(data.train(), dev.engram.datasets.Normalization.PAPER, noise.noisyLabels(), noise.mask());
        Tensor x = set.images(0, set.size());
        Tensor y = set.labelTensor(0, set.size());
        SafeTensors.write(dir.resolve("epoch-000.safetensors"), m.stateDict(), Map.of("format", "pt"));
        for (int e = 1; e <= epochs; e++) {
            for (int s = 0; s < 15; s++) {
                sgd.zeroGrad();
                Functional.crossEntropy(m.forward(x), y).backward();
                sgd.step();
            }
            SafeTensors.write(dir.resolve(String.format("epoch-%03d.safetensors", e)), m.stateDict(), Map.of("format", "pt"));
        }
    }

    static NoisyLabels noise(Dataset train, int noisy) {
        int[] orig = train.labels(), lab = orig.clone();
        boolean[] mask = new boolean[orig.length];
        for (int i = 0; i < noisy; i++) {
            int idx = 5 * i + 1;
            mask[idx] = true;
            lab[idx] = (orig[idx] + 3) % 10;
        }
        return new NoisyLabels(lab, orig, mask, (double) noisy / orig.length, 0);
    }

    @Test
    void importedCheckpointsAreAnalysedByRewindingAndFlipping() throws IOException {
        TrainTest data = new TrainTest(generated("gen-train", 60, 1), generated("gen-test", 20, 2));
        NoisyLabels noise = noise(data.train(), 6);
        Path noiseFile = tmp.resolve("noise.csv");
        noise.save(noiseFile);
        Path weights = tmp.resolve("weights");
        writeWeights(weights, data, noise, 3);
        Path run = tmp.resolve("run");

        int code = engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset", "mnist",
                "--model", "mlp", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("imported 4 checkpoint(s) (epochs [0, 1, 2, 3]) of mlp on mnist (60 examples, 6 noisy)");
        RunFolder folder = RunFolder.open(run);
        ExperimentConfig cfg = folder.config();
        assertThat(cfg.model()).isEqualTo("mlp");
        assertThat(cfg.epochs()).isEqualTo(3);
        assertThat(cfg.trainSubset()).isEqualTo(60);
        assertThat(cfg.noiseFraction()).isEqualTo(0.1);
        assertThat(folder.checkpoints()).extracting(RunFolder.Checkpoint::epoch).containsExactly(0, 1, 2, 3);
        assertThat(folder.noise().noisyIndices()).containsExactly(noise.noisyIndices());
        assertThat(folder.provenance().orElseThrow().commandLine()).contains("import");

        RunData rd = RunData.of(folder, DataSource.of(data));
        Module finalModel = rd.modelAt(3);
        Map<String, Tensor> written = SafeTensors.load(weights.resolve("epoch-003.safetensors"));
        assertThat(finalModel.stateDict().get("1.weight").toFloatArray()).containsExactly(written.get("1.weight").toFloatArray());

        RewindingAnalysis.Result rw = Analyses.execute(new RewindingAnalysis(), rd, RewindingAnalysis.Options.DEFAULTS,
                Progress.NONE, false);
        assertThat(rw.epochs()).contains(0);
        assertThat(rw.groups()).isNotEmpty();
        assertThat(folder.hasResults("rewinding")).isTrue();

        NeuronFlipping.Options search = NeuronFlipping.Options.DEFAULTS.toBuilder().maxUnits(5).noise(2, 0.01).referenceSize(20)
                .targetsPerBatch(4).remainingEvalSize(20).evalBatchSize(64).seed(0).build();
        Analyses.execute(new FlipAnalysis(), rd, new FlipAnalysis.Options(-1, 3, 3, search), Progress.NONE, false);
        assertThat(folder.hasResults("flipping")).isTrue();
        // the per-example scores read Engram's per-epoch training records: an imported run is sent to checkpoint-scores
        assertThatThrownBy(() -> new dev.engram.memorization.scores.ScoresAnalysis().check(rd,
                dev.engram.memorization.scores.ScoresAnalysis.Options.DEFAULTS))
                .hasMessageContaining("imported").hasMessageContaining("checkpoint-scores --run");
        assertThatThrownBy(() -> new dev.engram.memorization.scores.CheckpointScores().check(rd,
                new dev.engram.memorization.scores.CheckpointScores.Options(1, 1000, 64,
                        dev.engram.memorization.metrics.LearningEvents.Forgetting.TONEVA)))
                .hasMessageContaining("--examples 1000 exceeds the 60 training examples");

        // a second import into the same folder is refused
        assertThat(engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset", "mnist",
                "--model", "mlp", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10"))
                .isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("already holds a run");
    }

    @Test
    void weightsThatDoNotMatchTheModelAreRefusedBeforeAnythingIsWritten() throws IOException {
        Dataset train = generated("gen-train", 20, 1);
        NoisyLabels noise = noise(train, 2);
        Path noiseFile = tmp.resolve("noise.csv");
        noise.save(noiseFile);
        Path weights = Files.createDirectories(tmp.resolve("w"));
        Map<String, Tensor> sd = new LinkedHashMap<>(Models.create("mlp", 1, 28, 10, 3).stateDict());
        sd.remove("5.bias");
        sd.put("1.weight", Tensor.zeros(512, 100));
        sd.put("extra", Tensor.zeros(2));
        SafeTensors.write(weights.resolve("epoch-000.safetensors"), Models.create("mlp", 1, 28, 10, 3).stateDict());
        SafeTensors.write(weights.resolve("epoch-001.safetensors"), sd);
        Path run = tmp.resolve("run");
        int code = engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset", "mnist",
                "--model", "mlp", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10");
        assertThat(code).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("epoch-001.safetensors: missing '5.bias'")
                .contains("epoch-001.safetensors: '1.weight': expected [512, 784]").contains("unexpected 'extra'")
                .contains("nothing written");
        assertThat(run).doesNotExist();

        assertThat(engram("import", "--run", run.toString(), "--weights", tmp.resolve("nowhere").toString(), "--dataset",
                "mnist", "--model", "mlp", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes",
                "10")).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("nowhere do not exist");
        assertThat(engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset", "mnist",
                "--model", "mlp", "--input-shape", "1,28,28", "--classes", "10")).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("must come from --noise-file");
        assertThat(run).doesNotExist();
        // a shape that contradicts the named built-in dataset is refused: the analyses would read that dataset
        assertThat(engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset", "cifar10",
                "--model", "mlp", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10"))
                .isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--input-shape 1,28,28 --classes 10 contradict --dataset cifar10")
                .contains("3,32,32 in 10 classes");
        assertThat(run).doesNotExist();
    }

    /** Epochs 0 and 1 of an MLP for 6 features and 2 classes, as a PyTorch user would save them. */
    private static Path mlpEpochs(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int e = 0; e < 2; e++) {
            SafeTensors.write(dir.resolve("epoch-00" + e + ".safetensors"), Models.create("mlp", 6, 1, 2, e).stateDict());
        }
        return dir;
    }

    @Test
    void anOwnDatasetKeepsItsPathsCaseAndIsStoredAbsolute() throws IOException {
        Path arrays = tmp.resolve("Arrays");
        OwnDatasetCliTest.npyFolder(arrays, 40, 6, 2);
        Path weights = mlpEpochs(tmp.resolve("w"));
        Path run = tmp.resolve("run");
        assertThat(engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset",
                "npy:" + arrays, "--model", "mlp")).as(err.toString()).isZero();
        assertThat(RunFolder.open(run).config().dataset()).isEqualTo("npy:" + arrays.toAbsolutePath().normalize());
        // imported without labels: the noise-based analyses say how to import the labels, not to train with --noise
        assertThat(engram("rewind", "--run", run.toString())).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("has no noisy examples").contains("--noise-file or --noisy-indices")
                .doesNotContain("train a run with --noise");
    }

    @Test
    void theNormalizationTheWeightsWereTrainedWithIsRecordedAndUsedAndBadOnesAreRefused() throws IOException {
        Path arrays = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(arrays, 40, 6, 2);
        Path weights = mlpEpochs(tmp.resolve("w"));
        // own data, no option: the per-channel statistics of the training examples, as train computes them
        Path byData = tmp.resolve("by-data");
        assertThat(engram("import", "--run", byData.toString(), "--weights", weights.toString(), "--dataset",
                "npy:" + arrays, "--model", "mlp")).as(err.toString()).isZero();
        RunData d = RunData.open(byData, DataSource.catalog(FetchOptions.defaults().withOffline(true)));
        assertThat(byData.resolve(RunFolder.NORMALIZATION)).isRegularFile();
        assertThat(d.normalization()).isEqualTo(Normalization.of(d.train()));
        assertThat(out.toString()).contains("input normalization");
        // explicit, one value for every channel
        Path given = tmp.resolve("given");
        assertThat(engram("import", "--run", given.toString(), "--weights", weights.toString(), "--dataset",
                "npy:" + arrays, "--model", "mlp", "--normalization", "0.5:0.25")).as(err.toString()).isZero();
        Normalization n = RunData.open(given, DataSource.catalog(FetchOptions.defaults().withOffline(true))).normalization();
        assertThat(n.mean()).containsExactly(0.5f);
        assertThat(n.std()).containsExactly(0.25f);
        // a built-in dataset keeps the stored one too (here without reading the dataset)
        Dataset train = generated("gen-train", 20, 1);
        Path noiseFile = tmp.resolve("noise.csv");
        noise(train, 2).save(noiseFile);
        Path w = tmp.resolve("final.safetensors");
        SafeTensors.write(w, new TinyNet(1, 28, 10, 9).stateDict());
        String tiny = "class:" + TinyNet.class.getName();
        Path builtIn = tmp.resolve("built-in");
        assertThat(engram("import", "--run", builtIn.toString(), "--weights", w.toString(), "--dataset", "mnist", "--model",
                tiny, "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10",
                "--normalization", "0.1307:0.3081")).as(err.toString()).isZero();
        assertThat(RunData.open(builtIn, DataSource.catalog(FetchOptions.defaults().withOffline(true))).normalization())
                .isEqualTo(new Normalization(new float[] {0.1307f}, new float[] {0.3081f}));
        // refused, nothing written
        String[][] bad = {
                {"--normalization", "0.5,0.5,0.5:0.2,0.2,0.2", "3 values per statistic but the images have 6 channel(s)"},
                {"--normalization", "0.5:0", "std must be > 0"},
                {"--normalization", "half", "expected paper, data or MEAN:STD"},
                {"--input-shape", "4,5,5", "contradict --dataset"}};
        for (String[] b : bad) {
            Path r = tmp.resolve("bad-" + b[1].hashCode());
            List<String> args = new java.util.ArrayList<>(List.of("import", "--run", r.toString(), "--weights",
                    weights.toString(), "--dataset", "npy:" + arrays, "--model", "mlp", b[0], b[1]));
            if (b[0].equals("--input-shape")) args.addAll(List.of("--classes", "2", "--noise-file", noiseFile.toString()));
            assertThat(engram(args.toArray(String[]::new))).as(b[1]).isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(err.toString()).contains(b[2]);
            assertThat(r).doesNotExist();
        }
        assertThat(engram("import", "--run", tmp.resolve("bad-data").toString(), "--weights", w.toString(), "--dataset",
                "mnist", "--model", tiny, "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes",
                "10", "--normalization", "data")).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--normalization data needs the training examples");
    }

    /** A researcher's model on the class path. */
    public static class TinyNet extends Module implements HasLayerGroups, HasTaps {
        private final Linear fc1, fc2;
        private final ReLU relu = new ReLU();

        public TinyNet(int channels, int imageSize, int classes, long seed) {
            Seeds s = Seeds.of(seed);
            fc1 = registerModule("fc1", new Linear(channels * imageSize * imageSize, 16, true, s));
            fc2 = registerModule("fc2", new Linear(16, classes, true, s));
        }

        @Override
        public Tensor forward(Tensor x) {
            return fc2.forward(tap("hidden", relu.forward(fc1.forward(x.reshape(x.shape()[0], -1)))));
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

    @Test
    void aSingleFileOfAClassPathModelImportsAsTheFinalEpoch() throws IOException {
        String name = "class:" + TinyNet.class.getName();
        Dataset train = generated("gen-train", 20, 1);
        Path noiseFile = tmp.resolve("noise.csv");
        noise(train, 2).save(noiseFile);
        Path w = tmp.resolve("final.safetensors");
        SafeTensors.write(w, new TinyNet(1, 28, 10, 9).stateDict());
        Path run = tmp.resolve("run");
        assertThat(engram("import", "--run", run.toString(), "--weights", w.toString(), "--dataset", "mnist", "--model",
                name, "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28", "--classes", "10", "--epoch", "5"))
                .as(err.toString()).isZero();
        RunFolder folder = RunFolder.open(run);
        assertThat(folder.config().model()).isEqualTo(name);
        assertThat(folder.config().epochs()).isEqualTo(5);
        assertThat(folder.checkpoints()).extracting(RunFolder.Checkpoint::epoch).containsExactly(5);

        assertThatThrownBy(() -> ExperimentConfig.paper("mnist", "class:com.example.Missing"))
                .hasMessageContaining("com.example.Missing is not on the class path");
        assertThat(engram("import", "--run", tmp.resolve("run2").toString(), "--weights", w.toString(), "--dataset", "mnist",
                "--model", "class:com.example.Missing", "--noise-file", noiseFile.toString(), "--input-shape", "1,28,28",
                "--classes", "10")).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--model class:com.example.Missing").contains("not on the class path");
    }

    /** The user's path: arrays as .npy files, weights trained elsewhere, then `engram rewind` and `engram flip`. */
    @Test
    void anImportOnNpyDataIsAnalysedFromTheCommandLine() throws IOException {
        TrainTest data = new TrainTest(generated("gen-train", 60, 1), generated("gen-test", 20, 2));
        Path arrays = writeNpy(tmp.resolve("arrays"), data);
        NoisyLabels noise = noise(data.train(), 6);
        Path noiseFile = tmp.resolve("noise-npy.csv");
        noise.save(noiseFile);
        Path weights = tmp.resolve("weights-npy");
        writeWeights(weights, data, noise, 2);
        Path run = tmp.resolve("run-npy");
        assertThat(engram("import", "--run", run.toString(), "--weights", weights.toString(), "--dataset",
                "npy:" + arrays, "--model", "mlp", "--noise-file", noiseFile.toString(), "--offline")).as(err.toString()).isZero();
        assertThat(engram("rewind", "--run", run.toString(), "--offline")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("rewind one group to epoch 0");
        assertThat(engram("flip", "--run", run.toString(), "--noisy", "3", "--clean", "3", "--max-units", "5",
                "--reference", "20", "--eval-examples", "20", "--offline")).as(err.toString()).isZero();
        assertThat(RunFolder.open(run).hasResults("flipping")).isTrue();
    }

    /** A "noisy" example whose label is its true label is a contradiction: refused as a usage error, nothing written. */
    @Test
    void aNoisyIndexWithItsOwnTrueLabelIsRefused() throws IOException {
        TrainTest data = new TrainTest(generated("gen-train", 60, 1), generated("gen-test", 20, 2));
        Path arrays = writeNpy(tmp.resolve("arrays"), data);
        Path w = tmp.resolve("final.safetensors");
        SafeTensors.write(w, Models.create("mlp", 1, 28, 10, 3).stateDict());
        Path indices = tmp.resolve("noisy.csv");
        Files.writeString(indices, "index,label\n3,7\n1,1\n"); // example 1's true label is 1
        Path run = tmp.resolve("run");
        int code = engram("import", "--run", run.toString(), "--weights", w.toString(), "--dataset", "npy:" + arrays,
                "--model", "mlp", "--noisy-indices", indices.toString(), "--offline");
        assertThat(code).as(err.toString()).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--noisy-indices").contains(indices + " line 3").contains("index 1")
                .contains("label 1").contains("original label");
        assertThat(run).doesNotExist();

        Files.writeString(indices, "index,label\n3,7\n1,2\n");
        assertThat(engram("import", "--run", run.toString(), "--weights", w.toString(), "--dataset", "npy:" + arrays,
                "--model", "mlp", "--noisy-indices", indices.toString(), "--offline")).as(err.toString()).isZero();
        NoisyLabels noise = RunFolder.open(run).noise();
        assertThat(noise.noisyIndices()).containsExactly(1, 3);
        for (int i : noise.noisyIndices()) assertThat(noise.noisyLabels()[i]).isNotEqualTo(noise.originalLabels()[i]);

        int[] original = {0, 1, 2};
        assertThatThrownBy(() -> dev.engram.memorization.train.RunImport.fromNoisyIndices(
                Files.writeString(tmp.resolve("same.csv"), "2,2\n"), original, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 2 has label 2")
                .hasMessageContaining("original label");
    }

    /** {@code data} as x.npy/y.npy (train) and x_test.npy/y_test.npy in {@code arrays}. */
    private static Path writeNpy(Path arrays, TrainTest data) throws IOException {
        Files.createDirectories(arrays);
        for (String part : new String[] {"", "_test"}) {
            Dataset d = part.isEmpty() ? data.train() : data.test();
            byte[] px = new byte[d.size() * 784];
            for (int i = 0; i < d.size(); i++) {
                float[] img = new float[784];
                d.copyImageAsFloat(i, img, 0, new dev.engram.datasets.Normalization(new float[] {0f}, new float[] {1f / 255f}));
                for (int k = 0; k < 784; k++) px[i * 784 + k] = (byte) Math.round(img[k]);
            }
            Files.write(arrays.resolve("x" + part + ".npy"), dev.engram.datasets.NpyWriter.uint8(new long[] {d.size(), 1, 28, 28}, px));
            Files.write(arrays.resolve("y" + part + ".npy"), dev.engram.datasets.NpyWriter.labels(d.labels()));
        }
        return arrays;
    }
}
