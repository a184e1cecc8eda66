package dev.engram.engine;

import dev.engram.engine.cpu.CpuParallel;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Graph mechanics: accumulation, no-grad, detach, scopes, and error messages for bad input. */
class AutogradTest {
    @Test
    void gradientsAccumulateAcrossBackwardCallsAndResetWithZeroGrad() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(4, 8, 12);
        w.zeroGrad();
        w.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(1, 1, 1);
    }

    @Test
    void recycledGradientsReuseTheirStorageWithFreshValuesAndZeroGradKeepsOldReferencesIntact() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        Tensor first = w.grad();
        w.recycleGrad();
        assertThat(w.grad()).isNull();
        w.mul(3f).sum().backward(); // written into the recycled storage, not added to it
        assertThat(w.grad()).isSameAs(first);
        assertThat(w.grad().toFloatArray()).containsExactly(3, 3, 3);
        w.sum().backward(); // later contributions accumulate as usual
        assertThat(w.grad().toFloatArray()).containsExactly(4, 4, 4);

        Tensor kept = w.grad();
        w.zeroGrad();
        w.mul(w).sum().backward();
        assertThat(w.grad()).isNotSameAs(kept);
        assertThat(kept.toFloatArray()).containsExactly(4, 4, 4);
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);

        // a gradient set by hand after recycling is accumulated into; the spare is not used
        w.recycleGrad();
        Tensor manual = Tensor.of(new float[] {10, 10, 10}, 3);
        w.setGrad(manual);
        w.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(11, 11, 11);
        assertThat(first.toFloatArray()).containsExactly(4, 4, 4);
    }

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        Tensor x = Tensor.of(new float[] {3}, 1).requiresGrad(true);
        Tensor y = x.mul(x).add(x.mul(2f)); // dy/dx = 2x + 2 = 8
        y.sum().backward();
        assertThat(x.grad().item()).isEqualTo(8f);
    }

    @Test
    void sharedGradientTensorsDoNotAlias() {
        Tensor a = Tensor.of(new float[] {1, 1}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1, 1}, 2).requiresGrad(true);
        a.add(b).sum().backward(); // add passes the same gradient to both
        a.mul(3f).sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(4, 4);
        assertThat(b.grad().toFloatArray()).containsExactly(1, 1);
    }

    @Test
    void noGradAndDetachRecordNothing() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        try (var g = Tensors.noGrad()) {
            assertThat(w.mul(w).requiresGrad()).isFalse();
        }
        assertThat(w.detach().mul(w.detach()).requiresGrad()).isFalse();
        assertThat(w.mul(w).requiresGrad()).isTrue();
    }

    @Test
    void backwardOnANonScalarWithoutGradientNamesTheShape() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        assertThatThrownBy(() -> w.mul(2f).backward())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[2]").hasMessageContaining("scalar");
    }

    @Test
    void wrongShapesAndDtypesNameTheOpAndShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4, 5);
        assertThatThrownBy(() -> a.add(b)).hasMessageContaining("add").hasMessageContaining("[2, 3]").hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> a.matmul(b)).hasMessageContaining("matmul").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(4, 2, 3, 3), null, 1, 0, 1))
                .hasMessageContaining("conv2d").hasMessageContaining("3 channels");
        Tensor labels = Tensor.ofInts(new int[] {0, 1}, 2);
        assertThatThrownBy(() -> a.add(labels)).hasMessageContaining("dtypes differ");
        assertThatThrownBy(() -> Functional.crossEntropy(Tensor.zeros(2, 3), Tensor.ofInts(new int[] {0, 7}, 2)))
                .hasMessageContaining("label 7");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(4, -1)).hasMessageContaining("reshape");
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).hasMessageContaining("5 values");
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessageContaining("tpu");
    }

    @Test
    void aMissingDeviceBackendIsReportedNotCrashed() {
        assertThatThrownBy(() -> Tensor.zeros(Device.cuda(3), 2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cuda:3");
    }

    @Test
    void scopesFreeIntermediatesButKeepRetainedTensorsAndGrads() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor kept, dropped;
        try (TensorScope s = Tensors.scope()) {
            dropped = w.mul(3f);
            kept = w.mul(5f);
            s.keep(kept);
            w.mul(w).sum().backward();
        }
        assertThat(dropped.isFreed()).isTrue();
        assertThat(kept.toFloatArray()).containsExactly(5, 10);
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4);
        assertThatThrownBy(() -> dropped.add(1f)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("freed").hasMessageContaining("[2]");
    }

    @Test
    void trainingStepIsBitIdenticalRunToRunAndAcrossThreadCounts() {
        float[] one = runStep();
        float[] again = runStep();
        assertThat(again).containsExactly(one);
        int before = CpuParallel.threads();
        try {
            CpuParallel.setThreads(before == 1 ? 2 : 1);
            assertThat(runStep()).containsExactly(one);
        } finally {
            CpuParallel.setThreads(before);
        }
    }

    private static float[] runStep() {
        Tensor x = Tensor.randn(1, 8, 3, 12, 12);
        Tensor w = Tensor.randn(2, 16, 3, 3, 3).mul(0.2f).detach().requiresGrad(true);
        Tensor gamma = Tensor.ones(16).requiresGrad(true), beta = Tensor.zeros(16).requiresGrad(true);
        Tensor fc = Tensor.randn(3, 10, 16).mul(0.1f).detach().requiresGrad(true);
        Tensor h = Functional.conv2d(x, w, null, 1, 1, 1);
        h = Functional.batchNorm(h, gamma, beta, null, null, true, 0.1f, 1e-5f).relu();
        h = Functional.globalMaxPool(h).flatten(1);
        Tensor loss = Functional.crossEntropy(Functional.linear(h, fc, null), Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 8));
        loss.backward();
        float[] out = new float[(int) w.numel() + 1];
        System.arraycopy(w.grad().toFloatArray(), 0, out, 0, (int) w.numel());
        out[out.length - 1] = loss.item();
        return out;
    }

    @Test
    void aSecondBackwardThroughAFreedGraphIsRefusedWhateverItsOps() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor saving = x.exp().sum(); // exp releases its saved output
        saving.backward();
        assertThatThrownBy(saving::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already freed").hasMessageContaining("retainGraph");
        Tensor z = Tensor.ones(2).requiresGrad(true);
        Tensor plain = z.mul(z).sum(); // mul keeps nothing beyond its inputs
        plain.backward();
        assertThatThrownBy(plain::backward).isInstanceOf(IllegalStateException.class).hasMessageContaining("already freed");
        assertThat(z.grad().toFloatArray()).containsExactly(2, 2); // not counted twice
        Tensor kept = z.mul(z).sum();
        kept.backward(Tensor.ones(kept.shape()), true);
        kept.backward();
        assertThat(z.grad().toFloatArray()).containsExactly(6, 6);
    }

    @Test
    void gradContextsClosedOutOfOrderLeaveTheStateOfThoseStillOpen() {
        assertThat(Grad.isEnabled()).isTrue();
        Grad outer = Grad.disabled();
        Grad inner = Grad.enabled();
        assertThat(Grad.isEnabled()).isTrue();
        outer.close(); // the inner context is still open: recording stays as it says
        assertThat(Grad.isEnabled()).isTrue();
        Grad off = Grad.disabled();
        inner.close();
        assertThat(Grad.isEnabled()).isFalse();
        off.close();
        off.close(); // a second close does nothing
        assertThat(Grad.isEnabled()).isTrue();
        Grad g1 = Grad.disabled(), g2 = Grad.disabled();
        g1.close();
        g2.close();
        assertThat(Grad.isEnabled()).isTrue();
    }

    @Test
    void closingAnOuterScopeFirstClosesTheInnerOnesAndSaysSo() {
        TensorScope s1 = Tensors.scope(), s2 = Tensors.scope();
        Tensor inS1;
        Tensor inS2 = Tensor.randn(1, 3);
        assertThat(s2.ownedCount()).isEqualTo(1);
        assertThatThrownBy(s1::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("reverse order")
                .hasMessageContaining("1 scope(s)");
        assertThatThrownBy(inS2::toFloatArray).isInstanceOf(IllegalStateException.class);
        s2.close(); // already closed with s1: nothing happens
        s1.close();
        try (TensorScope outer = Tensors.scope()) {
            inS1 = Tensor.randn(2, 3);
            assertThat(outer.ownedCount()).isEqualTo(1); // new tensors belong to the open scope, not to a closed one
        }
        assertThat(s1.ownedCount()).isZero();
        assertThatThrownBy(inS1::toFloatArray).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void perExampleGradientsOfALinearLayerOverNoPositionsAreZeros() {
        // [B, T, in] with T = 0: each example's weight gradient is a product over an empty inner dimension
        Tensor x = Tensor.zeros(2, 0, 5), w = Tensor.randn(7, 3, 5).requiresGrad(true); // seed 7, [3, 5]
        Tensor b = Tensor.zeros(3).requiresGrad(true);
        for (PerExample.Mode mode : PerExample.Mode.values()) {
            try (PerExampleGradients pe = PerExample.collect(List.of(w, b), mode)) {
                Functional.linear(x, w, b).sum().backward();
                if (mode == PerExample.Mode.GRADIENTS) {
                    assertThat(pe.gradients(w).shape()).containsExactly(2, 3, 5);
                    assertThat(pe.gradients(w).toFloatArray()).containsOnly(0f);
                    assertThat(pe.gradients(b).toFloatArray()).containsOnly(0f).hasSize(6);
                }
                assertThat(pe.squaredNorms(w)).containsExactly(0f, 0f);
            }
        }
    }

    @Test
    void emptyOperandsGiveZerosOrAClearError() {
        assertThat(Tensor.zeros(3, 0).matmul(Tensor.zeros(0, 4)).toFloatArray()).containsOnly(0f).hasSize(12);
        assertThat(Tensor.zeros(2, 3, 0).matmul(Tensor.zeros(2, 0, 2)).toFloatArray()).containsOnly(0f).hasSize(12);
        Tensor w = Tensor.zeros(4, 0).requiresGrad(true), b = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
        Tensor y = Functional.linear(Tensor.zeros(3, 0), w, b);
        assertThat(y.toFloatArray()).containsExactly(1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4);
        y.sum().backward();
        assertThat(b.grad().toFloatArray()).containsExactly(3, 3, 3, 3);
        assertThat(Functional.linear(Tensor.zeros(2, 0), Tensor.zeros(3, 0), null).toFloatArray()).containsOnly(0f).hasSize(6);
        Tensor batch0 = Tensor.zeros(0, 5), w2 = Tensor.randn(3, 2, 5).requiresGrad(true);
        Functional.linear(batch0, w2, null).sum().backward();
        assertThat(w2.grad().toFloatArray()).containsOnly(0f);
        assertThatThrownBy(() -> Tensor.zeros(3, 0).max(1, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("axis 1").hasMessageContaining("empty");
        assertThatThrownBy(() -> Tensor.zeros(0, 3).max(0, false)).hasMessageContaining("empty");
        assertThatThrownBy(() -> Tensor.zeros(3, 0).argmax(1)).hasMessageContaining("empty");
        assertThat(Tensor.zeros(3, 0).sum(1, false).toFloatArray()).containsExactly(0, 0, 0);
        assertThatThrownBy(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 0, 0))
                .hasMessageContaining("at least 1x1");
    }

    @Test
    void invalidParametersAreRefusedNamingThem() {
        Tensor x = Tensor.randn(1, 2, 3, 4, 4);
        assertThatThrownBy(() -> Functional.dropout(x, Float.NaN, 1, 0)).hasMessageContaining("dropout").hasMessageContaining("NaN");
        assertThatThrownBy(() -> Tensor.rand(3, 5f, 2f, 3)).hasMessageContaining("lo <= hi");
        assertThatThrownBy(() -> Tensor.rand(3, Float.NaN, 2f, 3)).hasMessageContaining("uniform");
        Tensor c = Tensor.zeros(3), v = Tensor.ones(3);
        assertThatThrownBy(() -> Functional.batchNorm(x, null, null, c, v, true, Float.NaN, 1e-5f)).hasMessageContaining("momentum");
        assertThatThrownBy(() -> Functional.batchNorm(x, null, null, c, v, true, 0.1f, -1f)).hasMessageContaining("eps");
        assertThatThrownBy(() -> Functional.layerNorm(Tensor.randn(1, 2, 4), null, null, -1f)).hasMessageContaining("eps");
        Tensor p = Tensor.zeros(3).requiresGrad(true);
        assertThatThrownBy(() -> p.setGrad(Tensor.ofInts(new int[3], 3))).hasMessageContaining("setGrad").hasMessageContaining("dtype");
        assertThatThrownBy(() -> Functional.conv2d(Tensor.randn(1, 1, 3, 5, 5), Tensor.randn(1, 2, 3, 3, 3), null, 0, 0, 1))
                .hasMessageContaining("stride 0x0");
        assertThatThrownBy(() -> Functional.maxPool2d(Tensor.randn(1, 1, 1, 4, 4), 2, 2, 2))
                .hasMessageContaining("window 2x2").hasMessageContaining("padding 2x2");
    }

    @Test
    void theDerivativeOfXToTheZeroIsZeroEvenAtZero() {
        Tensor x = Tensor.of(new float[] {0f, 2f, -3f}, 3).requiresGrad(true);
        Tensor y = x.pow(0f);
        assertThat(y.toFloatArray()).containsExactly(1, 1, 1);
        y.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 0, 0);
    }

    @Test
    void backwardRefusesValuesWrittenInPlaceAfterTheOpUsedThem() {
        // exp's backward needs its output: overwriting it used to give a zero gradient without a word
        Tensor x = Tensor.of(new float[] {0.5f, 1f, 2f}, 3).requiresGrad(true);
        Tensor y = x.exp();
        Tensor loss = y.sum();
        y.fill(0f);
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'exp'").hasMessageContaining("written in place");
        assertThat(x.grad()).isNull(); // refused before anything was accumulated
        // mul's backward needs the other operand
        Tensor w = Tensor.of(new float[] {0.5f, 1f, 2f}, 3).requiresGrad(true);
        Tensor c = Tensor.of(new float[] {3, 4, 5}, 3);
        Tensor l2 = w.mul(c).sum();
        c.copyFrom(Tensor.zeros(3));
        assertThatThrownBy(l2::backward).isInstanceOf(IllegalStateException.class).hasMessageContaining("input 1");
        // through a view of the written tensor too
        Tensor v = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
        Tensor d = Tensor.of(new float[] {1, 1, 1, 1}, 4);
        Tensor l3 = v.mul(d.reshape(2, 2).reshape(4)).sum();
        d.reshape(2, 2).fill(7f);
        assertThatThrownBy(l3::backward).isInstanceOf(IllegalStateException.class);
        // ops whose gradient depends on shapes alone (add, sum, reshape) stay valid after a write
        Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {5, 6}, 2);
        Tensor l5 = a.add(b).reshape(1, 2).sum();
        b.fill(0f);
        l5.backward();
        assertThat(a.grad().toFloatArray()).containsExactly(1f, 1f);
        // a write before the forward pass, or after backward, is fine
        Tensor z = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor e = Tensor.of(new float[] {0, 0}, 2);
        e.fill(2f);
        Tensor l4 = z.mul(e).sum();
        l4.backward();
        e.fill(3f);
        assertThat(z.grad().toFloatArray()).containsExactly(2f, 2f);
    }

    @Test
    void aBackwardGradientOfAnotherDtypeIsNamed() {
        Tensor q = Tensor.randn(4, 2, 3).requiresGrad(true);
        assertThatThrownBy(() -> q.mul(2f).backward(Tensor.ofInts(new int[6], 2, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backward gradient: dtype int32");
        assertThatThrownBy(() -> Tensor.ofInts(new int[6], 2, 3).indexSelect(Tensor.ofInts(new int[] {1}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index_select");
    }
}
