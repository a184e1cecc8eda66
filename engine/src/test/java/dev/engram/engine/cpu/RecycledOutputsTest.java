package dev.engram.engine.cpu;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Op outputs allocated for overwrite take recycled arrays without clearing them: every such op must
 * write its whole output. A conv / batch-norm / ReLU / pooling / linear / element-wise step runs once, then every
 * array in the pool is filled with NaN (floats) or an out-of-range index (ints) and the step runs
 * again on those recycled arrays (gradients are copies of recycled arrays too): all outputs and gradients must match the first run bit for bit.
 */
class RecycledOutputsTest {
    private static List<float[]> step(Tensor x, Tensor w, Tensor b, Tensor fw, Tensor fb, Tensor g, Tensor bt) {
        List<float[]> out = new ArrayList<>();
        try (TensorScope s = Tensors.scope()) {
            for (Tensor p : new Tensor[] {x, w, b, fw, fb, g, bt}) p.zeroGrad();
            Tensor y = Functional.conv2d(x, w, b, 1, 1, 1);             // [32, 8, 16, 16]
            Tensor bn = Functional.batchNorm(y, g, bt, null, null, true, 0.1f, 1e-5f);
            Tensor r = Functional.relu(bn);
            Tensor z = r.add(y.mul(0.5f));                               // binary + unary
            Tensor mp = Functional.maxPool2d(z, 2, 2, 0);                // [32, 8, 8, 8]
            Tensor ap = Functional.avgPool2d(r, 2, 2, 0);
            Tensor h = mp.add(ap).reshape(32, 512);
            Tensor logits = Functional.linear(h, fw, fb);
            Tensor loss = logits.mul(logits).sum();
            loss.backward();
            Tensor copied = y.copy();
            for (Tensor t : new Tensor[] {y, bn, r, z, mp, ap, logits, copied, x.grad(), w.grad(), b.grad(), fw.grad(), fb.grad(),
                g.grad(), bt.grad()}) {
                out.add(t.toFloatArray());
            }
        }
        return out;
    }

    @Test
    void opsWriteTheirWholeOutputWhenTheirArraysAreRecycled() {
        Tensor x = Tensor.randn(1, 32, 3, 16, 16).retain().requiresGrad(true);
        Tensor w = Tensor.randn(2, 8, 3, 3, 3).retain().requiresGrad(true);
        Tensor b = Tensor.randn(3, 8).retain().requiresGrad(true);
        Tensor fw = Tensor.rand(4, -0.05f, 0.05f, 64, 512).retain().requiresGrad(true);
        Tensor fb = Tensor.randn(5, 64).retain().requiresGrad(true);
        Tensor g = Tensor.rand(6, 0.5f, 1.5f, 8).retain().requiresGrad(true);
        Tensor bt = Tensor.randn(7, 8).retain().requiresGrad(true);
        List<float[]> first = step(x, w, b, fw, fb, g, bt);
        int[] poisoned = new int[1];
        CpuArrayPool.FLOATS.forEachPooled(a -> {
            Arrays.fill(a, Float.NaN);
            poisoned[0]++;
        });
        CpuArrayPool.INTS.forEachPooled(a -> Arrays.fill(a, Integer.MIN_VALUE));
        assertThat(poisoned[0]).as("arrays recycled from the first step").isPositive();
        List<float[]> second = step(x, w, b, fw, fb, g, bt);
        for (int i = 0; i < first.size(); i++) {
            assertThat(second.get(i)).as("result " + i).containsExactly(first.get(i));
        }
    }
}
