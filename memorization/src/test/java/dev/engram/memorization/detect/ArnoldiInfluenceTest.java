package dev.engram.memorization.detect;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.ParameterVector;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Arnoldi influence: eigenvalues against the exact Hessian of softmax regression, and a flipped label. */
class ArnoldiInfluenceTest {

    /**
     * The exact Hessian of the mean cross-entropy of softmax regression {@code z = W x + b} plus {@code wd·I}, in the
     * parameter order weight (row-major {@code [K, D]}) then bias: {@code (1/n) Σ (diag p − p pᵀ) ⊗ x̃ x̃ᵀ},
     * {@code x̃ = (x, 1)}.
     */
    private static double[][] exactHessian(Module linear, ExampleSet data, double wd) {
        float[] w = linear.namedParameters().get("1.weight").toFloatArray();
        float[] b = linear.namedParameters().get("1.bias").toFloatArray();
        int d = data.exampleSize(), k = data.numClasses(), n = data.size(), dim = k * d + k;
        double[][] h = new double[dim][dim];
        for (int i = 0; i < n; i++) {
            double[] xt = new double[d + 1];
            for (int j = 0; j < d; j++) xt[j] = data.x()[i * d + j];
            xt[d] = 1;
            double[] z = new double[k];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                z[c] = b[c];
                for (int j = 0; j < d; j++) z[c] += (double) w[c * d + j] * xt[j];
                max = Math.max(max, z[c]);
            }
            double s = 0;
            for (int c = 0; c < k; c++) s += Math.exp(z[c] - max);
            double[] p = new double[k];
            for (int c = 0; c < k; c++) p[c] = Math.exp(z[c] - max) / s;
            for (int c = 0; c < k; c++) {
                for (int c2 = 0; c2 < k; c2++) {
                    double a = (c == c2 ? p[c] : 0) - p[c] * p[c2];
                    for (int j = 0; j <= d; j++) {
                        for (int j2 = 0; j2 <= d; j2++) {
                            h[index(c, j, d, k)][index(c2, j2, d, k)] += a * xt[j] * xt[j2] / n;
                        }
                    }
                }
            }
        }
        for (int i = 0; i < dim; i++) h[i][i] += wd;
        return h;
    }

    private static int index(int c, int j, int d, int k) {
        return j < d ? c * d + j : k * d + c;
    }

    private static double[] sortedByMagnitude(double[] v) {
        return Arrays.stream(v).boxed().sorted((a, b) -> Double.compare(Math.abs(b), Math.abs(a)))
                .mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void jacobiDiagonalizesASymmetricMatrix() {
        double[][] a = {{4, 1, 0.5}, {1, 3, -1}, {0.5, -1, 2}};
        double[][] copy = {a[0].clone(), a[1].clone(), a[2].clone()};
        double[][] v = new double[3][3];
        double[] l = ArnoldiInfluence.jacobiEigen(copy, v);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 3; i++) {
                double av = 0;
                for (int j = 0; j < 3; j++) av += a[i][j] * v[j][c];
                assertThat(av).isCloseTo(l[c] * v[i][c], within(1e-10));
            }
        }
        assertThat(l[0] + l[1] + l[2]).isCloseTo(9, within(1e-10));
    }

    @Test
    void finiteDifferenceArnoldiEigenvaluesMatchTheExactHessianOfATinyModel() {
        ExampleSet data = SyntheticData.clusters(40, 2, 3, 0.5, 0, 3);
        Module model = new Mlp(5, 4, 3); // softmax regression: 12 weights + 3 biases
        SyntheticData.train(model, data, 5, 10, 0.1, 0.9, 0, 2);
        model.eval();
        double wd = 1e-3;
        double[][] exact = exactHessian(model, data, wd);
        int dim = exact.length;
        double[][] vecs = new double[dim][dim];
        double[][] copy = new double[dim][];
        for (int i = 0; i < dim; i++) copy[i] = exact[i].clone();
        double[] exactValues = sortedByMagnitude(ArnoldiInfluence.jacobiEigen(copy, vecs));

        var params = ParameterVector.trainable(model);
        double[] theta = ParameterVector.values(params);
        assertThat(theta.length).isEqualTo(dim);
        double eps = ArnoldiInfluence.step(theta);
        ArnoldiInfluence.LinearMap hvp = ArnoldiInfluence.finiteDifferenceHvp(model, params, data, eps, wd, 16);
        // one product against the exact matrix
        double[] e0 = new double[dim];
        e0[0] = 0.6;
        e0[dim - 1] = 0.8;
        double[] hv = hvp.apply(e0);
        for (int i = 0; i < dim; i++) {
            double expected = 0.6 * exact[i][0] + 0.8 * exact[i][dim - 1];
            assertThat(hv[i]).isCloseTo(expected, within(2e-3 + 0.02 * Math.abs(expected)));
        }
        assertThat(ParameterVector.values(params)).as("weights restored").containsExactly(theta);

        ArnoldiInfluence.Eigenpairs top = ArnoldiInfluence.arnoldi(hvp, dim, dim, 4, 1);
        for (int r = 0; r < 4; r++) {
            assertThat(top.values()[r]).as("eigenvalue %d", r)
                    .isCloseTo(exactValues[r], within(0.02 * Math.abs(exactValues[0])));
        }
        // the leading eigenvector is one of the exact Hessian's: H v ≈ λ v
        float[] v = top.vectors()[0];
        for (int i = 0; i < dim; i++) {
            double hvi = 0;
            for (int j = 0; j < dim; j++) hvi += exact[i][j] * v[j];
            assertThat(hvi).isCloseTo(top.values()[0] * v[i], within(0.03 * Math.abs(top.values()[0])));
        }
    }

    @Test
    void aFlippedLabelThatALinearModelCannotFitHasTheLargestSelfInfluence() {
        ExampleSet data = SyntheticData.clusters(60, 4, 3, 0.3, 1.0 / 60, 11);
        assertThat(data.noisyCount()).isEqualTo(1);
        Module model = new Mlp(4, 16, 3);
        SyntheticData.train(model, data, 10, 10, 0.1, 0.9, 0, 4);
        model.eval();
        assertThat(Evaluation.run(model, data, 60).accuracy(data.noisy(), true)).isZero();
        ArnoldiInfluence.Result r = ArnoldiInfluence.compute(model, data, new ArnoldiInfluence.Options(20, 10, 60, 3),
                0, 16);
        assertThat(r.eigen().values()).hasSize(10);
        double[] s = r.selfInfluence();
        int top = 0;
        for (int i = 1; i < s.length; i++) if (s[i] > s[top]) top = i;
        assertThat(data.noisy()[top]).as("the flipped example ranks first").isTrue();
        assertThat(Metrics.auroc(s, data.noisy())).isEqualTo(1.0);
    }

    @Test
    void fewIterationsKeepOnlyTheTopHalfOfTheRitzValues() {
        assertThat(ArnoldiInfluence.keptEigenpairs(10, 30)).isEqualTo(10);
        assertThat(ArnoldiInfluence.keptEigenpairs(10, 4)).isEqualTo(2);
        assertThat(ArnoldiInfluence.keptEigenpairs(10, 2)).isEqualTo(1);
        assertThat(ArnoldiInfluence.keptEigenpairs(10, 3)).isEqualTo(1);
        ExampleSet data = SyntheticData.clusters(60, 4, 3, 0.3, 1.0 / 60, 11);
        Module model = new Mlp(4, 16, 3);
        SyntheticData.train(model, data, 5, 10, 0.1, 0.9, 0, 4);
        ArnoldiInfluence.Result r = ArnoldiInfluence.compute(model, data, new ArnoldiInfluence.Options(4, 10, 60, 3), 0, 16);
        assertThat(r.eigen().values()).hasSize(2);
    }

    /** The blocked, threaded projection of gradients onto the eigenvectors against plain double loops. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} examples x {1} parameters, {2} vectors")
    @org.junit.jupiter.params.provider.CsvSource({"1, 5, 1", "7, 3001, 10", "3, 1024, 4", "12, 9000, 3"})
    void projectionsMatchDoubleLoops(int examples, int size, int k) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(examples * 131L + size);
        int offset = 17;
        float[] g = new float[examples * size];
        for (int i = 0; i < g.length; i++) g[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[][] v = new float[k][offset + size + 5];
        for (float[] row : v) for (int i = 0; i < row.length; i++) row[i] = (float) (rnd.nextDouble() * 2 - 1);
        double[][] proj = new double[examples][k];
        for (double[] row : proj) java.util.Arrays.fill(row, 0.25); // adds to what is there
        ArnoldiInfluence.project(g, examples, size, v, offset, proj);
        for (int ex = 0; ex < examples; ex++) {
            for (int i = 0; i < k; i++) {
                double d = 0.25, abs = 0;
                for (int q = 0; q < size; q++) {
                    d += (double) g[ex * size + q] * v[i][offset + q];
                    abs += Math.abs((double) g[ex * size + q] * v[i][offset + q]);
                }
                // float lanes within blocks of 1,024: a few float roundings of the blocks' absolute sums
                assertThat(proj[ex][i]).as("example %d, vector %d", ex, i).isCloseTo(d, within(1e-6 * abs));
            }
        }
    }

    @Test
    void iterationsAreCutSoThatTheKrylovBasisFitsItsMemoryBudget() {
        assertThat(ArnoldiInfluence.affordableIterations(30, 670_000)).isEqualTo(30);
        int big = ArnoldiInfluence.affordableIterations(30, 23_500_000);
        assertThat(big).isBetween(2, 29);
        assertThat((big + 1) * 4L * 23_500_000).isLessThanOrEqualTo(ArnoldiInfluence.BASIS_BUDGET_BYTES);
        assertThat(ArnoldiInfluence.affordableIterations(30, 1L << 31)).isEqualTo(2);
    }

    @Test
    void optionsNameTheBadValue() {
        assertThatThrownBy(() -> new ArnoldiInfluence.Options(1, 1, 10, 0)).hasMessageContaining("got 1");
        assertThatThrownBy(() -> new ArnoldiInfluence.Options(10, 0, 10, 0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> new ArnoldiInfluence.Options(10, 5, 0, 0)).hasMessageContaining("got 0");
    }
}
