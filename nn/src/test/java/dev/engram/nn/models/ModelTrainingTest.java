package dev.engram.nn.models;

import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.engram.nn.layers.TestValues.labels;
import static dev.engram.nn.layers.TestValues.uniform;
import static dev.engram.nn.models.ModelSupport.loss;
import static dev.engram.nn.models.ModelSupport.sgdStep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Forward shapes, one hand-written SGD step per model, and an MLP that learns. */
class ModelTrainingTest {

    /** One step {@code p -= lr * grad} on a fixed batch lowers that batch's loss. */
    static void stepLowersLoss(Module m, Tensor x, Tensor y, float lr) {
        float before = sgdStep(m, x, y, lr);
        assertThat(Float.isFinite(before)).isTrue();
        float after = loss(m, x, y);
        assertThat(after).as(m.getClass().getSimpleName() + " loss after one step").isLessThan(before);
    }

    @Test
    void mlpAndSmallCnnStep() {
        stepLowersLoss(new Mlp(1, 784, 64, 10), uniform(1, 8, 1, 28, 28), labels(8, 10), 0.1f);
        stepLowersLoss(new SmallCnn(2), uniform(2, 4, 1, 28, 28), labels(4, 10), 0.05f);
    }

    @Test
    void resNet9FullWidthShapesOnCifarAndMnistInputs() {
        ResNet9 cifar = new ResNet9(3, 10, 1);
        cifar.eval();
        assertThat(cifar.forward(uniform(1, 1, 3, 32, 32)).shape()).containsExactly(1, 10);
        ResNet9 mnist = new ResNet9(1, 10, 1);
        mnist.eval();
        assertThat(mnist.forward(uniform(2, 1, 1, 28, 28)).shape()).containsExactly(1, 10);
    }

    @Test
    void resNet9Step() {
        // quarter width keeps the test fast; the structure is the same
        ResNet9 m = new ResNet9(3, 10, 0.25, 3);
        stepLowersLoss(m, uniform(3, 4, 3, 32, 32), labels(4, 10), 0.05f);
        ResNet9 mnist = new ResNet9(1, 10, 0.25, 4);
        stepLowersLoss(mnist, uniform(4, 4, 1, 28, 28), labels(4, 10), 0.05f);
    }

    @Test
    void visionTransformerShapesAndStep() {
        VisionTransformer full = new VisionTransformer(new VisionTransformer.Config(8, 2, 3, 10, 512, 6, 8, 64, 512, 0.1f, 0.1f, true), 7);
        full.eval();
        assertThat(full.forward(uniform(8, 1, 3, 8, 8)).shape()).containsExactly(1, 10);
        VisionTransformer tiny = new VisionTransformer(VisionTransformer.Config.tiny(3, 8, 2, 10), 8);
        assertThat(tiny.forward(uniform(9, 3, 3, 8, 8)).shape()).containsExactly(3, 10);
        tiny.eval(); // deterministic forward: dropout off, so before/after losses are comparable
        stepLowersLoss(tiny, uniform(10, 4, 3, 8, 8), labels(4, 10), 0.05f);
        VisionTransformer mnist = new VisionTransformer(VisionTransformer.Config.tiny(1, 28, 7, 10), 9);
        assertThat(mnist.forward(uniform(11, 2, 1, 28, 28)).shape()).containsExactly(2, 10);
    }

    @Test
    void mlpLearnsGaussianBlobs() {
        int n = 400, dim = 8, classes = 4;
        SplittableRandom rnd = new SplittableRandom(11);
        float[][] centers = new float[classes][dim];
        for (float[] c : centers) for (int d = 0; d < dim; d++) c[d] = (float) (rnd.nextGaussian() * 2.5);
        float[] xs = new float[n * dim];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            ys[i] = i % classes;
            for (int d = 0; d < dim; d++) xs[i * dim + d] = centers[ys[i]][d] + (float) rnd.nextGaussian();
        }
        Tensor x = Tensor.of(xs, n, dim), y = Tensor.ofInts(ys, n);
        Mlp mlp = new Mlp(12, dim, 32, classes);
        long start = System.nanoTime();
        for (int step = 0; step < 150; step++) sgdStep(mlp, x, y, 0.2f);
        double seconds = (System.nanoTime() - start) / 1e9;
        int[] pred;
        try (Grad g = Grad.disabled()) {
            pred = mlp.forward(x).argmax(1).toIntArray();
        }
        int correct = 0;
        for (int i = 0; i < n; i++) if (pred[i] == ys[i]) correct++;
        assertThat(correct / (double) n).as("train accuracy after 150 full-batch steps (%.2f s)", seconds).isGreaterThanOrEqualTo(0.97);
    }
}
