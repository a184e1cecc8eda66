package dev.engram.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's tensor and autograd example, as written there, with its claims checked. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRunsAndMeansWhatItSays() {
        Tensor x = Tensor.randn(42, 64, 784);
        Tensor w = Tensor.randn(7, 10, 784).mul(0.01f).detach().requiresGrad(true);
        Tensor labels = Tensor.ofInts(new int[64], 64);

        Tensor intermediate;
        try (TensorScope step = Tensors.scope()) {
            Tensor logits = Functional.linear(x, w, null);
            intermediate = logits;
            Tensor loss = Functional.crossEntropy(logits, labels);
            loss.backward();
        }
        assertThat(intermediate.isFreed()).isTrue();
        assertThat(w.grad().shape()).containsExactly(10, 784);
        try (var off = Tensors.noGrad()) {
            assertThat(Functional.linear(x, w, null).requiresGrad()).isFalse();
        }

        Tensor m = Tensor.ones(10).requiresGrad(true);
        Tensor h = Functional.linear(x, w, null);
        Functional.mask(h, m).sum().backward();
        // d/dm_c of sum(h * m) is the sum of neuron c's activations over the batch
        float[] perNeuron = h.detach().sum(0, false).toFloatArray();
        float[] g = m.grad().toFloatArray();
        for (int c = 0; c < 10; c++) assertThat(g[c]).isCloseTo(perNeuron[c], org.assertj.core.data.Offset.offset(1e-3f));
    }
}
