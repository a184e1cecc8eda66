package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dropout option of the MLP and the small CNN, and the JoCoR twin network. */
class DropoutOptionTest {

    @Test
    void dropoutKeepsNamesAndEvaluationAndChangesTraining() {
        for (String name : Models.WITH_DROPOUT_OPTION) {
            Module plain = Models.create(name, 1, 8, 3, 7), dropped = Models.create(name, 1, 8, 3, 7, 0.5);
            assertThat(dropped.stateDict().keySet()).isEqualTo(plain.stateDict().keySet());
            Tensor x = Tensor.rand(11, -1, 1, 4, 1, 8, 8);
            plain.eval();
            dropped.eval();
            assertThat(dropped.forward(x).toFloatArray()).containsExactly(plain.forward(x).toFloatArray());
            plain.train(true);
            dropped.train(true);
            assertThat(Arrays.equals(dropped.forward(x).toFloatArray(), plain.forward(x).toFloatArray())).as(name).isFalse();
        }
        assertThatThrownBy(() -> Models.create("resnet9", 1, 28, 10, 1, 0.2)).hasMessageContaining("[mlp, cnn]");
        assertThatThrownBy(() -> Models.create("mlp", 1, 28, 10, 1, 1.0)).hasMessageContaining("1.0");
    }

    @Test
    void twinNetworkOutputsBothInTrainingAndTheFirstInEvaluation() {
        Module a = Models.create("mlp", 1, 4, 3, 1), b = Models.create("mlp", 1, 4, 3, 2);
        TwinNetwork twin = new TwinNetwork(a, b);
        Tensor x = Tensor.rand(5, -1, 1, 2, 1, 4, 4);
        float[] both = twin.forward(x).toFloatArray();
        float[] first = a.forward(x).toFloatArray(), second = b.forward(x).toFloatArray();
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 3; k++) {
                assertThat(both[i * 6 + k]).isEqualTo(first[i * 3 + k]);
                assertThat(both[i * 6 + 3 + k]).isEqualTo(second[i * 3 + k]);
            }
        }
        twin.eval();
        assertThat(twin.forward(x).shape()).containsExactly(2, 3);
        assertThat(twin.layerGroups()).containsKeys("net1.fc1", "net2.fc3");
        assertThat(twin.layerGroups().get("net2.fc1")).containsExactly("net2.1.weight", "net2.1.bias");
        assertThat(twin.namedParameters()).containsKeys("net1.1.weight", "net2.5.bias");
    }

    @Test
    void randomStateRestoresTheDropoutStreamsOfEveryNetwork() {
        for (String name : Models.WITH_DROPOUT_OPTION) {
            Module a = new TwinNetwork(Models.create(name, 1, 8, 3, 7, 0.5), Models.create(name, 1, 8, 3, 8, 0.5));
            Tensor x = Tensor.rand(11, -1, 1, 4, 1, 8, 8);
            a.train(true);
            a.forward(x);
            a.forward(x);
            java.util.Map<String, Long> state = a.randomState();
            assertThat(state).isNotEmpty().allSatisfy((k, v) -> assertThat(v).as(k).isPositive());
            assertThat(state.keySet()).anyMatch(k -> k.startsWith("net1.")).anyMatch(k -> k.startsWith("net2."));
            float[] third = a.forward(x).toFloatArray();
            Module b = new TwinNetwork(Models.create(name, 1, 8, 3, 7, 0.5), Models.create(name, 1, 8, 3, 8, 0.5));
            b.train(true);
            float[] fresh = b.forward(x).toFloatArray();
            assertThat(Arrays.equals(fresh, third)).as("a fresh stream draws other masks").isFalse();
            Module c = new TwinNetwork(Models.create(name, 1, 8, 3, 7, 0.5), Models.create(name, 1, 8, 3, 8, 0.5));
            c.train(true);
            c.restoreRandomState(state);
            assertThat(c.forward(x).toFloatArray()).as(name).containsExactly(third);
            assertThatThrownBy(() -> c.restoreRandomState(java.util.Map.of("net3.x", 1L))).hasMessageContaining("net3");
            assertThatThrownBy(() -> c.restoreRandomState(java.util.Map.of("net1.bogus", 1L))).hasMessageContaining("bogus");
        }
        assertThat(Models.create("mlp", 1, 8, 3, 7).randomState()).isEmpty();
    }
}
