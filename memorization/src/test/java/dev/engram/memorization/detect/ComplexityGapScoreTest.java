package dev.engram.memorization.detect;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Metrics;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Complexity-gap score: the closed form against explicit leave-one-out re-inversion, the paper's recipe, a flipped label. */
class ComplexityGapScoreTest {

    /** Inverse by Gauss-Jordan elimination with partial pivoting (independent of the score's Cholesky solves). */
    private static double[][] invert(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
            double[] t = m[c];
            m[c] = m[p];
            m[p] = t;
            double d = m[c][c];
            for (int k = 0; k < 2 * n; k++) m[c][k] /= d;
            for (int r = 0; r < n; r++) {
                if (r == c || m[r][c] == 0) continue;
                double f = m[r][c];
                for (int k = 0; k < 2 * n; k++) m[r][k] -= f * m[c][k];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(m[i], n, inv[i], 0, n);
        return inv;
    }

    /** {@code yᵀ H⁻¹ y} of the rows {@code rows}, by explicit inversion. */
    private static double complexity(double[][] x, double[] y, int[] rows) {
        double[][] inv = invert(ComplexityGapScore.gramMatrix(x, rows));
        double s = 0;
        for (int a = 0; a < rows.length; a++) {
            for (int b = 0; b < rows.length; b++) s += y[rows[a]] * inv[a][b] * y[rows[b]];
        }
        return s;
    }

    @Test
    void closedFormEqualsTheComplexityLostByRemovingTheExample() {
        ExampleSet data = SyntheticData.clusters(12, 2, 3, 0.8, 0.2, 3);
        int n = data.size();
        double[][] x = ComplexityGapScore.unitRows(data);
        double[] y = new double[n];
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
            y[i] = data.labels()[i] == 0 ? 1 : -1;
        }
        double[] cg = ComplexityGapScore.binaryScores(x, y, all);
        double full = complexity(x, y, all);
        for (int i = 0; i < n; i++) {
            int[] rest = new int[n - 1];
            for (int k = 0, r = 0; k < n; k++) if (k != i) rest[r++] = k;
            double expected = full - complexity(x, y, rest);
            assertThat(cg[i]).isCloseTo(expected, within(1e-6 * (1 + Math.abs(expected))));
        }
    }

    @Test
    void gramMatrixIsTheInfiniteWidthReluKernel() {
        ExampleSet data = SyntheticData.clusters(4, 2, 2, 0.5, 0, 1);
        double[][] x = ComplexityGapScore.unitRows(data);
        double[][] h = ComplexityGapScore.gramMatrix(x, new int[] {0, 1});
        double c = 0;
        for (int j = 0; j < x[0].length; j++) c += x[0][j] * x[1][j];
        assertThat(h[0][1]).isCloseTo(c * (Math.PI - Math.acos(c)) / (2 * Math.PI), within(1e-12));
        assertThat(h[0][0]).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void multiClassScoreIsTheBinaryScoreOfTheClassAgainstAnEqualSampleOfTheOthers() {
        // two classes of 5: class c against all 5 of the other class, so the recipe is deterministic; with a Gram
        // limit >= 10 every example is scored once per repeat in its own class's problem
        ExampleSet data = SyntheticData.clusters(10, 2, 2, 0.6, 0, 7);
        double[][] x = ComplexityGapScore.unitRows(data);
        double[] cg = ComplexityGapScore.compute(data, 10, 2, 3);
        for (int c = 0; c < 2; c++) {
            int cc = c;
            int[] own = java.util.stream.IntStream.range(0, 10).filter(i -> data.labels()[i] == cc).toArray();
            int[] oth = java.util.stream.IntStream.range(0, 10).filter(i -> data.labels()[i] != cc).toArray();
            assertThat(own.length).isEqualTo(oth.length);
            int[] rows = java.util.stream.IntStream.concat(java.util.Arrays.stream(own), java.util.Arrays.stream(oth)).toArray();
            double[] y = new double[rows.length];
            for (int a = 0; a < rows.length; a++) y[a] = a < own.length ? 1 : -1;
            double[] s = ComplexityGapScore.binaryScores(x, y, rows);
            for (int a = 0; a < own.length; a++) assertThat(cg[own[a]]).isCloseTo(s[a], within(1e-9 * (1 + s[a])));
        }
    }

    @Test
    void aFlippedLabelAddsTheMostComplexity() {
        ExampleSet data = SyntheticData.clusters(90, 4, 3, 0.3, 2.0 / 90, 13);
        assertThat(data.noisyCount()).isEqualTo(2);
        double[] cg = ComplexityGapScore.compute(data, 40, 3, 1);
        assertThat(Metrics.auroc(cg, data.noisy())).isEqualTo(1.0);
        int top = 0;
        for (int i = 1; i < cg.length; i++) if (cg[i] > cg[top]) top = i;
        assertThat(data.noisy()[top]).isTrue();
    }

    @Test
    void refusesATooSmallGramLimit() {
        ExampleSet data = SyntheticData.clusters(10, 2, 2, 0.6, 0, 7);
        assertThatThrownBy(() -> ComplexityGapScore.compute(data, 1, 1, 0)).hasMessageContaining("got 1");
    }
}
