package dev.engram.memorization.metrics;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MetricsTest {
    private static final boolean T = true, F = false;

    @Test
    void perfectRankingIsOneAndInvertedIsZero() {
        double[] s = {0.9, 0.8, 0.2, 0.1};
        boolean[] y = {T, T, F, F};
        assertThat(Metrics.auroc(s, y)).isEqualTo(1.0);
        assertThat(Metrics.auroc(Metrics.negate(s), y)).isEqualTo(0.0);
        assertThat(Metrics.precisionAtK(s, y, 2)).isEqualTo(1.0);
        assertThat(Metrics.precisionAtK(Metrics.negate(s), y, 2)).isEqualTo(0.0);
    }

    @Test
    void allTiesGiveOneHalfAndThePositiveFraction() {
        double[] s = {3, 3, 3, 3, 3};
        boolean[] y = {T, F, F, T, F};
        assertThat(Metrics.auroc(s, y)).isEqualTo(0.5);
        for (int k = 1; k <= 5; k++) assertThat(Metrics.precisionAtK(s, y, k)).isCloseTo(0.4, within(1e-12));
    }

    /**
     * Worked by hand. scores 0.9 0.8 0.7 0.7 0.3 0.1, noisy = T F T F T F.
     * Positive/negative pairs: 0.9 beats all 3 negatives (3); the positive 0.7 loses to 0.8, ties the negative 0.7
     * (1/2) and beats 0.1 (1) → 1.5; 0.3 beats only 0.1 → 1. Sum 5.5 of 9 pairs → AUROC = 11/18 = 0.6111….
     * Same via ranks: ascending ranks 0.1→1, 0.3→2, 0.7,0.7→3.5, 0.8→5, 0.9→6; positive rank sum 6+3.5+2 = 11.5,
     * U = 11.5 − 3·4/2 = 5.5.
     * Precision@k (descending 0.9T 0.8F {0.7T 0.7F} 0.3T 0.1F): @1 = 1, @2 = 1/2, @3 = (1 + 1·1/2)/3 = 1/2
     * (one of the two tied places is taken, expected hits 1/2), @4 = 2/4, @5 = 3/5.
     */
    @Test
    void handWorkedExample() {
        double[] s = {0.9, 0.8, 0.7, 0.7, 0.3, 0.1};
        boolean[] y = {T, F, T, F, T, F};
        assertThat(Metrics.auroc(s, y)).isCloseTo(11.0 / 18.0, within(1e-12));
        assertThat(Metrics.averageRanks(s)).containsExactly(6, 5, 3.5, 3.5, 2, 1);
        assertThat(Metrics.precisionAtK(s, y, 1)).isEqualTo(1.0);
        assertThat(Metrics.precisionAtK(s, y, 2)).isEqualTo(0.5);
        assertThat(Metrics.precisionAtK(s, y, 3)).isCloseTo(0.5, within(1e-12));
        assertThat(Metrics.precisionAtK(s, y, 4)).isEqualTo(0.5);
        assertThat(Metrics.precisionAtK(s, y, 5)).isCloseTo(0.6, within(1e-12));
        assertThat(Metrics.precisionAtNumPositives(s, y)).isCloseTo(0.5, within(1e-12));
    }

    /** The rank formula must equal the O(n²) pair count on random data with many ties. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void aurocEqualsPairwiseCountOnRandomData(long seed) {
        Random r = new Random(seed);
        int n = 50 + r.nextInt(100);
        double[] s = new double[n];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            s[i] = r.nextInt(8); // few distinct values → many ties
            y[i] = r.nextDouble() < 0.3;
        }
        y[0] = true;
        y[1] = false;
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < n; i++) {
            if (!y[i]) continue;
            for (int j = 0; j < n; j++) {
                if (y[j]) continue;
                pairs++;
                wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
        }
        assertThat(Metrics.auroc(s, y)).isCloseTo(wins / pairs, within(1e-12));
        // AUROC(−s) = 1 − AUROC(s)
        assertThat(Metrics.auroc(Metrics.negate(s), y)).isCloseTo(1 - wins / pairs, within(1e-12));
    }

    @Test
    void badInputsAreRejected() {
        assertThatThrownBy(() -> Metrics.auroc(new double[] {1, 2}, new boolean[] {T, T}))
                .hasMessageContaining("2 positive and 0 negative");
        assertThatThrownBy(() -> Metrics.auroc(new double[] {1, 2}, new boolean[] {T}))
                .hasMessageContaining("2 entries, labels 1");
        assertThatThrownBy(() -> Metrics.auroc(new double[] {1, Double.NaN}, new boolean[] {T, F}))
                .hasMessageContaining("example 1 is NaN");
        assertThatThrownBy(() -> Metrics.precisionAtK(new double[] {1, 2}, new boolean[] {T, F}, 3))
                .hasMessageContaining("k=3");
    }
}
