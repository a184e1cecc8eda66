package dev.engram.memorization.data;

import dev.engram.engine.Tensor;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The analyses read checkpoints through {@link RunData#readCheckpoint}: a damaged one is refused, not evaluated. */
class RunDataCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void aCheckpointWithANonFiniteWeightIsRefusedNamingTheFileAndTensor() throws IOException {
        Module model = Models.create("mlp", 6, 1, 2, 3);
        Path good = tmp.resolve("epoch-001.safetensors");
        SafeTensors.write(good, model.stateDict());
        assertThat(RunData.readCheckpoint(good, model, "epoch 1")).containsOnlyKeys(model.stateDict().keySet());

        Map<String, Tensor> state = new LinkedHashMap<>(model.stateDict());
        String name = state.keySet().iterator().next();
        float[] v = state.get(name).toFloatArray();
        v[v.length - 1] = Float.NaN;
        state.put(name, Tensor.of(v, state.get(name).shape()));
        Path bad = tmp.resolve("epoch-002.safetensors");
        SafeTensors.write(bad, state);
        assertThatThrownBy(() -> RunData.readCheckpoint(bad, model, "epoch 2")).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("tensor '" + name + "'")
                .hasMessageContaining("element " + (v.length - 1) + " is NaN");
    }
}
