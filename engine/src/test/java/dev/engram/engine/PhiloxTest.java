package dev.engram.engine;

import dev.engram.engine.spi.Distribution;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Philox4x32-10 against the Random123 known-answer vectors, and the fill's statistics. */
class PhiloxTest {
    private static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] out = new int[4];
        Philox.block(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    @Test
    void matchesRandom123KnownAnswers() {
        assertThat(block(0, 0, 0, 0, 0, 0)).containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        assertThat(block(-1, -1, -1, -1, -1, -1)).containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
        assertThat(block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))
                .containsExactly(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
    }

    @Test
    void fillIsAPureFunctionOfSeedAndCounter() {
        float[] whole = Tensor.random(Device.CPU, Distribution.UNIFORM, 0, 1, 42, 1000).toFloatArray();
        float[] again = Tensor.random(Device.CPU, Distribution.UNIFORM, 0, 1, 42, 1000).toFloatArray();
        assertThat(again).containsExactly(whole);
        float[] other = Tensor.random(Device.CPU, Distribution.UNIFORM, 0, 1, 43, 1000).toFloatArray();
        assertThat(other).isNotEqualTo(whole);
        // a fill starting at element 400 (counter 100) continues the same stream
        float[] tail = new float[600];
        Philox.fill(tail, 0, 600, Distribution.UNIFORM, 0, 1, 42, 0, 400);
        assertThat(tail).containsExactly(java.util.Arrays.copyOfRange(whole, 400, 1000));
    }

    @Test
    void distributionsHaveTheRightMoments() {
        int n = 200_000;
        float[] u = Tensor.random(Device.CPU, Distribution.UNIFORM, -2, 2, 7, n).toFloatArray();
        float[] g = Tensor.random(Device.CPU, Distribution.NORMAL, 1, 3, 7, n).toFloatArray();
        float[] b = Tensor.random(Device.CPU, Distribution.BERNOULLI, 0.3f, 0, 7, n).toFloatArray();
        double mu = 0, mg = 0, vg = 0, mb = 0;
        for (int k = 0; k < n; k++) {
            assertThat(u[k]).isBetween(-2f, 2f);
            mu += u[k];
            mg += g[k];
            mb += b[k];
            assertThat(b[k] == 0f || b[k] == 1f).isTrue();
        }
        mu /= n;
        mg /= n;
        mb /= n;
        for (float v : g) vg += (v - mg) * (v - mg);
        vg /= n;
        // standard errors: uniform mean 0.0052, normal mean 0.0067, normal var ~0.03, bernoulli 0.001
        assertThat(mu).isCloseTo(0, org.assertj.core.data.Offset.offset(0.03));
        assertThat(mg).isCloseTo(1, org.assertj.core.data.Offset.offset(0.04));
        assertThat(vg).isCloseTo(9, org.assertj.core.data.Offset.offset(0.2));
        assertThat(mb).isCloseTo(0.3, org.assertj.core.data.Offset.offset(0.006));
    }
}
