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
}
