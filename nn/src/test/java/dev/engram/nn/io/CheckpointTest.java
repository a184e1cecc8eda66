package dev.engram.nn.io;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.train.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    @TempDir
    Path dir;

    private static void trainStep(TinyModels.Mlp model, Sgd sgd) {
        Tensor x = Tensor.randn(7, 6, 4);
        Tensor y = Tensor.ofInts(new int[] {0, 1, 2, 0, 1, 2}, 6);
        sgd.zeroGrad();
        Functional.crossEntropy(model.forward(x), y).backward();
        sgd.step();
    }

    @Test
    void saveAndLoadRestoreWeightsBuffersOptimizerStateAndTrainingState() throws IOException {
        TinyModels.Mlp a = new TinyModels.Mlp(4, 5, 3, true, 1);
        Sgd sa = Sgd.builder(a).learningRate(0.1).momentum(0.9).weightDecay(5e-4).build();
        trainStep(a, sa);
        TrainingState st = new TrainingState(3, 120, Map.of("data.seed", 42L), Map.of("train.loss", 0.5, "odd", Double.NaN));
        Checkpoint.save(dir, Checkpoint.epochName(3), a, sa, st);
        assertThat(Files.exists(dir.resolve("epoch-003.safetensors"))).isTrue();
        assertThat(Files.exists(dir.resolve("epoch-003.optim.safetensors"))).isTrue();
        assertThat(Files.exists(dir.resolve("epoch-003.json"))).isTrue();
        assertThat(Checkpoint.epochs(dir)).containsExactly(3);

        TinyModels.Mlp b = new TinyModels.Mlp(4, 5, 3, true, 99);
        Sgd sb = Sgd.builder(b).learningRate(0.1).momentum(0.9).weightDecay(5e-4).build();
        TrainingState loaded = Checkpoint.load(dir, "epoch-003", b, sb);
        assertThat(loaded.epoch()).isEqualTo(3);
        assertThat(loaded.globalStep()).isEqualTo(120);
        assertThat(loaded.counters()).containsEntry("data.seed", 42L);
        assertThat(loaded.metrics().get("train.loss")).isEqualTo(0.5);
        assertThat(loaded.metrics().get("odd")).isNaN();
        for (var e : a.stateDict().entrySet()) {
            assertThat(b.stateDict().get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
        }
        assertThat(a.stateDict()).containsKey("bn.running_mean");
        for (var e : sa.stateDict().entrySet()) {
            assertThat(sb.stateDict().get(e.getKey()).toFloatArray()).containsExactly(e.getValue().toFloatArray());
        }
        trainStep(a, sa);
        trainStep(b, sb);
        assertThat(b.stateDict().get("fc1.weight").toFloatArray()).containsExactly(a.stateDict().get("fc1.weight").toFloatArray());
    }

    @Test
    void loadReportsEveryMismatchOfModelAndOptimizerAndChangesNothing() throws IOException {
        TinyModels.Mlp a = new TinyModels.Mlp(4, 5, 3, true, 1);
        Sgd sa = Sgd.builder(a).learningRate(0.1).momentum(0.9).build();
        trainStep(a, sa);
        Checkpoint.save(dir, "c", a, sa, TrainingState.of(1, 1));

        TinyModels.Mlp other = new TinyModels.Mlp(4, 6, 3, false, 2); // hidden 6, no batch norm
        Sgd so = Sgd.builder(other).learningRate(0.1).momentum(0.9).build();
        float[] before = other.stateDict().get("fc1.weight").toFloatArray();
        assertThatThrownBy(() -> Checkpoint.load(dir, "c", other, so))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c.safetensors: 'fc1.weight': expected [6, 4] float32, found [5, 4] float32")
                .hasMessageContaining("c.safetensors: unexpected 'bn.running_mean'")
                .hasMessageContaining("c.safetensors: 'fc2.weight': expected [3, 6] float32, found [3, 5] float32")
                .hasMessageContaining("c.optim.safetensors: 'fc1.weight.momentum_buffer': expected [6, 4] float32")
                .hasMessageContaining("c.optim.safetensors: unexpected 'bn.weight.momentum_buffer'");
        assertThat(other.stateDict().get("fc1.weight").toFloatArray()).containsExactly(before);
        assertThat(so.stateDict()).isEmpty();
    }

    @Test
    void weightsFileIsAPlainStateDictAndMissingOptimizerStateIsReported() throws IOException {
        TinyModels.Mlp a = new TinyModels.Mlp(4, 5, 3, true, 1);
        Checkpoint.save(dir, Checkpoint.epochName(0), a, null, TrainingState.of(0, 0));
        Map<String, Tensor> w = Checkpoint.readWeights(dir, "epoch-000");
        assertThat(w.keySet()).containsExactly("fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                "bn.running_var", "fc2.weight", "fc2.bias");
        assertThat(SafeTensors.read(Checkpoint.weightsFile(dir, "epoch-000")).metadata()).containsEntry("format", "pt");
        Sgd s = Sgd.builder(a).learningRate(0.1).momentum(0.9).build();
        assertThatThrownBy(() -> Checkpoint.load(dir, "epoch-000", a, s)).hasMessageContaining("epoch-000.optim.safetensors: missing");
        assertThat(Checkpoint.load(dir, "epoch-000", a, null).epoch()).isZero();
        assertThatThrownBy(() -> Checkpoint.readState(dir, "nope")).isInstanceOf(IOException.class);
    }

    @Test
    void aNonFiniteStateIsNeverWrittenAndNeverLoaded() throws IOException {
        TinyModels.Mlp a = new TinyModels.Mlp(4, 5, 3, true, 1);
        Sgd sa = Sgd.builder(a).learningRate(0.1).momentum(0.9).build();
        trainStep(a, sa);
        Checkpoint.save(dir, "good", a, sa, TrainingState.of(1, 1));
        // a NaN in the optimizer state (weights finite): refused before any file is touched
        Tensor buf = sa.stateDict().get("fc2.bias.momentum_buffer");
        float[] v = buf.toFloatArray();
        v[1] = Float.NaN;
        Map<String, Tensor> poisoned = new java.util.LinkedHashMap<>(sa.stateDict());
        poisoned.put("fc2.bias.momentum_buffer", Tensor.of(v, buf.shape()));
        sa.loadStateDict(poisoned);
        assertThatThrownBy(() -> Checkpoint.save(dir, "bad", a, sa, TrainingState.of(2, 2)))
                .hasMessageContaining("checkpoint 'bad'")
                .hasMessageContaining("optimizer state tensor 'fc2.bias.momentum_buffer' element 1 is NaN");
        assertThat(dir.resolve("bad.safetensors")).doesNotExist();
        assertThat(dir.resolve("bad.json")).doesNotExist();
        // an infinite weight: refused too
        Map<String, Tensor> w = new java.util.LinkedHashMap<>(a.stateDict());
        float[] fw = w.get("fc1.bias").toFloatArray();
        fw[0] = Float.POSITIVE_INFINITY;
        w.put("fc1.bias", Tensor.of(fw, fw.length));
        a.loadStateDict(w, true);
        assertThatThrownBy(() -> Checkpoint.save(dir, "bad", a, null, TrainingState.of(2, 2)))
                .hasMessageContaining("model tensor 'fc1.bias' element 0 is Infinity");
        assertThat(Checkpoint.epochs(dir)).isEmpty();
        // a poisoned file written by an older version is refused on load, naming the file and tensor
        SafeTensors.write(Checkpoint.weightsFile(dir, "good"), w, Map.of("format", "pt"));
        TinyModels.Mlp b = new TinyModels.Mlp(4, 5, 3, true, 7);
        Sgd sb = Sgd.builder(b).learningRate(0.1).momentum(0.9).build();
        assertThatThrownBy(() -> Checkpoint.load(dir, "good", b, sb))
                .hasMessageContaining("good.safetensors: tensor 'fc1.bias' element 0 is Infinity");
    }

    @Test
    void aStateFileWithInvalidUtf8IsReportedWithItsName() throws IOException {
        TinyModels.Mlp a = new TinyModels.Mlp(4, 5, 3, true, 1);
        Checkpoint.save(dir, "c", a, null, TrainingState.of(1, 1));
        byte[] json = Files.readAllBytes(Checkpoint.stateFile(dir, "c"));
        json[json.length / 2] = (byte) 0xC3; // a lead byte followed by ASCII: malformed
        json[json.length / 2 + 1] = 'x';
        Files.write(Checkpoint.stateFile(dir, "c"), json);
        assertThatThrownBy(() -> Checkpoint.readState(dir, "c")).isInstanceOf(IOException.class)
                .hasMessageContaining(Checkpoint.stateFile(dir, "c").toString())
                .hasMessageContaining("not valid UTF-8");
    }
}
