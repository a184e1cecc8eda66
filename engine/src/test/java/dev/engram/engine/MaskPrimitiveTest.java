package dev.engram.engine;

import dev.engram.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static dev.engram.engine.PerExampleFixtures.assertClose;
import static dev.engram.engine.PerExampleFixtures.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The neuron-mask primitive {@code mask(x, m)}: gradients, identities and per-example rows. */
class MaskPrimitiveTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void maskGradientsMatchFiniteDifferences(long seed) {
        Gen g = new Gen(seed);
        Tensor x4 = Tensor.of(g.values(3 * 4 * 2 * 2, -1, 1), 3, 4, 2, 2).requiresGrad(true);
        Tensor shared = g.param(4), perExample = g.param(3, 4);
        GradCheck.of("mask [C] on [B, C, H, W]", seed).check(in -> Functional.mask(in[0], in[1]).tanh(), x4, shared);
        GradCheck.of("mask [B, C] on [B, C, H, W]", seed).check(in -> Functional.mask(in[0], in[1]).tanh(), x4, perExample);
        Tensor x2 = Tensor.of(g.values(3 * 4, -1, 1), 3, 4).requiresGrad(true);
        GradCheck.of("mask [C] on [B, C]", seed).check(in -> Functional.mask(in[0], in[1]).square(), x2, shared);
        GradCheck.of("mask [B, C] on [B, C]", seed).check(in -> Functional.mask(in[0], in[1]).square(), x2, perExample);
    }

    /**
     * Masks on [B, C] (no spatial extent) at sizes that the CPU backend splits across threads: outputs and both
     * gradients against double loops that sum each channel's rows in order.
     */
    @ParameterizedTest(name = "{0} x {1}")
    @org.junit.jupiter.params.provider.CsvSource({"70, 300", "1, 5", "333, 65", "5, 4099"})
    void masksOnMatricesMatchLoops(int b, int c) {
        Gen g = new Gen(b * 31L + c);
        float[] xv = g.values(b * c, -2, 2), wv = g.values(b * c, -1, 1), sv = g.values(c, 0, 1), pv = g.values(b * c, 0, 1);
        for (boolean perExample : new boolean[] {false, true}) {
            Tensor x = Tensor.of(xv.clone(), b, c).requiresGrad(true);
            Tensor m = (perExample ? Tensor.of(pv.clone(), b, c) : Tensor.of(sv.clone(), c)).requiresGrad(true);
            Tensor y = Functional.mask(x, m);
            y.mul(Tensor.of(wv.clone(), b, c)).sum().backward();
            float[] yv = y.toFloatArray(), dx = x.grad().toFloatArray(), dm = m.grad().toFloatArray();
            double[] dmShared = new double[c];
            for (int r = 0; r < b; r++) {
                for (int ch = 0; ch < c; ch++) {
                    int i = r * c + ch;
                    float mv = perExample ? pv[i] : sv[ch];
                    assertThat(yv[i]).as("y[%d][%d]", r, ch).isEqualTo(xv[i] * mv);
                    assertThat(dx[i]).as("dx[%d][%d]", r, ch).isEqualTo(wv[i] * mv);
                    if (perExample) assertThat(dm[i]).as("dm[%d][%d]", r, ch).isEqualTo(xv[i] * wv[i]);
                    dmShared[ch] += (double) xv[i] * wv[i];
                }
            }
            if (!perExample) for (int ch = 0; ch < c; ch++) assertThat(dm[ch]).as("dm[%d]", ch).isEqualTo((float) dmShared[ch]);
        }
    }

    @Test
    void maskOfOnesChangesNothing() {
        Gen g = new Gen(4);
        Tensor x = Tensor.of(g.values(2 * 3 * 5, -2, 2), 2, 3, 5);
        assertThat(Functional.mask(x, Tensor.ones(2, 3)).toFloatArray()).containsExactly(x.toFloatArray());
        assertThat(Functional.mask(x, Tensor.ones(3)).toFloatArray()).containsExactly(x.toFloatArray());
    }

    @Test
    void zeroingAChannelEqualsRemovingItsFilterOrRow() {
        Gen g = new Gen(5);
        Tensor x = Tensor.of(g.values(2 * 3 * 6 * 6, -1, 1), 2, 3, 6, 6);
        float[] wv = g.values(4 * 3 * 3 * 3, -1, 1), bv = g.values(4, -1, 1);
        float[] mask = {1, 1, 0, 1};
        Tensor masked = Functional.mask(Functional.conv2d(x, Tensor.of(wv, 4, 3, 3, 3), Tensor.of(bv, 4), 1, 1, 1),
                Tensor.of(mask, 4));
        float[] w2 = wv.clone(), b2 = bv.clone();
        java.util.Arrays.fill(w2, 2 * 27, 3 * 27, 0f);
        b2[2] = 0f;
        Tensor byHand = Functional.conv2d(x, Tensor.of(w2, 4, 3, 3, 3), Tensor.of(b2, 4), 1, 1, 1);
        assertThat(signless(masked.toFloatArray())).containsExactly(signless(byHand.toFloatArray()));

        Tensor h = Tensor.of(g.values(2 * 5, -1, 1), 2, 5);
        float[] lw = g.values(3 * 5, -1, 1), lb = g.values(3, -1, 1);
        Tensor lm = Functional.mask(Functional.linear(h, Tensor.of(lw, 3, 5), Tensor.of(lb, 3)), Tensor.of(new float[] {0, 1, 1}, 3));
        float[] lw2 = lw.clone(), lb2 = lb.clone();
        java.util.Arrays.fill(lw2, 0, 5, 0f);
        lb2[0] = 0f;
        assertThat(signless(lm.toFloatArray()))
                .containsExactly(signless(Functional.linear(h, Tensor.of(lw2, 3, 5), Tensor.of(lb2, 3)).toFloatArray()));
    }

    /** Maps -0 to +0 (a masked negative value is -0, a removed filter gives +0). */
    private static float[] signless(float[] v) {
        float[] out = v.clone();
        for (int k = 0; k < out.length; k++) out[k] += 0f;
        return out;
    }

    @Test
    void perExampleMaskRowsAreTheSharedMaskGradientsOfSingleExamples() {
        Gen g = new Gen(6);
        int b = 3;
        Tensor x = Tensor.of(g.values(b * 4 * 3 * 3, -1, 1), b, 4, 3, 3);
        Tensor w = Tensor.of(g.values(2 * 4, -1, 1), 2, 4);
        Tensor rowsMask = Tensor.ones(b, 4).requiresGrad(true);
        Tensor pooled = Functional.mask(x, rowsMask).mean(3, false).mean(2, false);
        Functional.linear(pooled, w, null).gelu().sum().backward();
        float[] dRows = rowsMask.grad().toFloatArray();
        for (int i = 0; i < b; i++) {
            Tensor shared = Tensor.ones(4).requiresGrad(true);
            Tensor p = Functional.mask(rows(x, new int[] {i}), shared).mean(3, false).mean(2, false);
            Functional.linear(p, w, null).gelu().sum().backward();
            assertClose(java.util.Arrays.copyOfRange(dRows, i * 4, i * 4 + 4), shared.grad().toFloatArray(), 1e-5,
                    "row " + i);
        }
        // and the per-example rule for a shared mask parameter gives the same rows
        Tensor shared = Tensor.ones(4).requiresGrad(true);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(List.of(shared), PerExample.Mode.GRADIENTS)) {
            pe = open;
            Tensor p = Functional.mask(x, shared).mean(3, false).mean(2, false);
            Functional.linear(p, w, null).gelu().sum().backward();
        }
        assertClose(pe.gradients(shared).toFloatArray(), dRows, 1e-5, "per-example gradient of the shared mask");
    }

    @Test
    void wrongMaskShapeIsReported() {
        Tensor x = Tensor.zeros(2, 3, 4);
        assertThatThrownBy(() -> Functional.mask(x, Tensor.ones(4))).hasMessageContaining("[3]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Functional.mask(Tensor.zeros(3), Tensor.ones(3))).hasMessageContaining("[B, C, ...]");
    }
}
