package dev.engram.memorization.detect;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Metrics;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Complexity-gap score: the closed form against explicit leave-one-out re-inversion, and a flipped label. */
class ComplexityGapScoreTest {

    private static double complexity(double[][] x, int[] labels, int classes, int[] rows) {
        int m = rows.length;
        double[][] h = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
                double c = 0;
                for (int j = 0; j < x[0].length; j++) c += x[rows[a]][j] * x[rows[b]][j];
                h[a][b] = ComplexityGapScore.gram(c) + (a == b ? 1e-8 : 0);
            }
        }
        double[][] inv = ComplexityGapScore.invertSpd(h);
        double s = 0;
        for (int c = 0; c < classes; c++) {
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    s += ((labels[rows[a]] == c ? 1.0 : 0) - 1.0 / classes) * inv[a][b]
                            * ((labels[rows[b]] == c ? 1.0 : 0) - 1.0 / classes);
                }
            }
        }
        return s;
    }

    @Test
    void closedFormEqualsTheComplexityLostByRemovingTheExample() {
        ExampleSet data = SyntheticData.clusters(9, 2, 3, 0.8, 0.2, 3);
        int n = data.size(), d = data.exampleSize();
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += Math.pow(x[i][j] = data.x()[i * d + j], 2);
            for (int j = 0; j < d; j++) x[i][j] /= Math.sqrt(s);
        }
        double[] cg = ComplexityGapScore.compute(data, 100, 1, 5);
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        double full = complexity(x, data.labels(), 3, all);
        for (int i = 0; i < n; i++) {
            int[] rest = new int[n - 1];
            for (int k = 0, r = 0; k < n; k++) if (k != i) rest[r++] = k;
            double expected = full - complexity(x, data.labels(), 3, rest);
            assertThat(cg[i]).isCloseTo(expected, within(1e-6 * (1 + Math.abs(expected))));
        }
    }

    @Test
    void aFlippedLabelAddsTheMostComplexity() {
        ExampleSet data = SyntheticData.clusters(90, 4, 3, 0.3, 2.0 / 90, 13);
        assertThat(data.noisyCount()).isEqualTo(2);
        double[] cg = ComplexityGapScore.compute(data, 40, 3, 1);
        assertThat(Metrics.auroc(cg, data.noisy())).isEqualTo(1.0);
    }
}
