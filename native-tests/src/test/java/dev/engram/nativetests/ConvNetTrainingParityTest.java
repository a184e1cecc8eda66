package dev.engram.nativetests;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.engram.nativetests.Gpu.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small ResNet-9-like network (conv-BN-ReLU stem, strided stage with max-pool, a residual
 * block, global max-pool, linear head, cross-entropy) built from Functional ops: two SGD steps
 * (momentum 0.9, weight decay) on the CPU and on cuda:0 from identical parameters and data must
 * give the same losses, gradients and updated parameters, and the loss must go down at every step.
 */
class ConvNetTrainingParityTest {
    private static final int BATCH = 16, CLASSES = 10;
    /** CPU losses at 0.01: 5.310, 3.448, 2.012 (at 0.05 the third step overshoots to 6.19). */
    private static final float LR = 0.01f;

    /** Parameters by name, created on the CPU from a seed and copied to the device. */
    private static Map<String, Tensor> params(Device d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> p = new LinkedHashMap<>();
        conv(p, r, d, "stem", 3, 16);
        conv(p, r, d, "stage", 16, 32);
        conv(p, r, d, "res1", 32, 32);
        conv(p, r, d, "res2", 32, 32);
        float bound = (float) Math.sqrt(1.0 / 32);
        p.put("head.w", Tensor.of(d, Gpu.values(r, CLASSES * 32, -bound, bound), CLASSES, 32).requiresGrad(true));
        p.put("head.b", Tensor.of(d, new float[CLASSES], CLASSES).requiresGrad(true));
        return p;
    }

    private static void conv(Map<String, Tensor> p, SplittableRandom r, Device d, String name, int cin, int cout) {
        float bound = (float) Math.sqrt(6.0 / (cin * 9));
        p.put(name + ".w", Tensor.of(d, Gpu.values(r, cout * cin * 9, -bound, bound), cout, cin, 3, 3).requiresGrad(true));
        float[] ones = new float[cout];
        java.util.Arrays.fill(ones, 1f);
        p.put(name + ".gamma", Tensor.of(d, ones, cout).requiresGrad(true));
        p.put(name + ".beta", Tensor.of(d, new float[cout], cout).requiresGrad(true));
        p.put(name + ".rm", Tensor.zeros(d, cout));
        p.put(name + ".rv", Tensor.of(d, ones.clone(), cout));
    }

    private static Tensor block(Map<String, Tensor> p, String name, Tensor x) {
        Tensor y = Functional.conv2d(x, p.get(name + ".w"), null, 1, 1, 1);
        return Functional.batchNorm(y, p.get(name + ".gamma"), p.get(name + ".beta"), p.get(name + ".rm"), p.get(name + ".rv"),
                true, 0.1f, 1e-5f).relu();
    }

    private static Tensor loss(Map<String, Tensor> p, Tensor x, Tensor labels) {
        Tensor h = block(p, "stem", x);
        h = Functional.maxPool2d(block(p, "stage", h), 2, 2, 0);
        h = h.add(block(p, "res2", block(p, "res1", h)));
        h = Functional.globalMaxPool(h).reshape(BATCH, 32);
        return Functional.crossEntropy(Functional.linear(h, p.get("head.w"), p.get("head.b")), labels);
    }

    private record Run(List<Float> losses, Map<String, float[]> grads, Map<String, float[]> finalParams) {}

    private static Run train(Device d) {
        SplittableRandom r = new SplittableRandom(99);
        float[] images = Gpu.values(r, BATCH * 3 * 16 * 16, -1, 1);
        int[] labels = r.ints(BATCH, 0, CLASSES).toArray();
        Map<String, Tensor> p = params(d, 1234);
        Tensor x = Tensor.of(d, images, BATCH, 3, 16, 16), y = Tensor.ofInts(d, labels, BATCH);
        Map<String, Tensor> momentum = new LinkedHashMap<>();
        List<Float> losses = new ArrayList<>();
        Map<String, float[]> firstGrads = new LinkedHashMap<>();
        for (int step = 0; step < 3; step++) {
            for (Tensor t : p.values()) if (t.requiresGrad()) t.zeroGrad();
            Tensor l = loss(p, x, y);
            losses.add(l.item());
            if (step == 2) break;
            l.backward();
            for (var e : p.entrySet()) {
                Tensor t = e.getValue();
                if (!t.requiresGrad()) continue;
                if (step == 0) firstGrads.put(e.getKey(), t.grad().toFloatArray());
                Tensor buf = momentum.computeIfAbsent(e.getKey(), k -> Tensor.zeros(d, t.shape()));
                t.backend().sgdUpdate(t.storage(), t.grad().storage(), buf.storage(), t.numel(), LR, 0.9f, 0f, 5e-4f,
                        false, step == 0);
            }
        }
        Map<String, float[]> finals = new LinkedHashMap<>();
        p.forEach((k, t) -> finals.put(k, t.toFloatArray()));
        return new Run(losses, firstGrads, finals);
    }

    @Test
    void twoSgdStepsGiveTheSameLossesGradientsAndParameters() {
        Gpu.requireDevice();
        Run cpu = train(Device.CPU), gpu = train(Gpu.CUDA);
        for (int i = 1; i < 3; i++) {
            assertThat(cpu.losses.get(i)).as("CPU loss after " + i + " steps, losses " + cpu.losses).isLessThan(cpu.losses.get(i - 1));
        }
        for (int i = 0; i < 3; i++) {
            assertThat(gpu.losses.get(i)).as("loss after " + i + " steps (CPU " + cpu.losses.get(i) + ")")
                    .isCloseTo(cpu.losses.get(i), org.assertj.core.data.Offset.offset(2e-4f));
        }
        cpu.grads.forEach((k, g) -> assertClose("gradient of " + k, g, gpu.grads.get(k), 2e-4, 2e-3));
        cpu.finalParams.forEach((k, v) -> assertClose("parameter " + k + " after 2 steps", v, gpu.finalParams.get(k), 2e-4, 2e-3));
    }
}
