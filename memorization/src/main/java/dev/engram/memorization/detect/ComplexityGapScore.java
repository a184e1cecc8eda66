package dev.engram.memorization.detect;

import dev.engram.memorization.data.ExampleSet;

import java.util.SplittableRandom;

/**
 * The complexity-gap score (Ki, Choi and Chung, "Data Valuation without Training of a Model", ICLR 2023;
 * docs/methods.md §8.3 and §8.13): a
 * training-free score from the Gram matrix of a two-layer, over-parameterized ReLU network at infinite width,
 * {@code H∞_ij = x_i·x_j (π − arccos(x_i·x_j)) / (2π)} for unit-norm inputs. The complexity {@code yᵀ (H∞)⁻¹ y}
 * bounds the network's generalization gap and the distance its weights move in training; the score of example i is
 * the complexity it adds, {@code CG(i) = yᵀ H⁻¹ y − y₋ᵢᵀ (H₋ᵢ)⁻¹ y₋ᵢ}. An irregular or mislabeled example is hard to
 * explain by its neighbours and adds much complexity: higher = suspicious.
 *
 * <p>Computed exactly without n re-inversions: with {@code A = H⁻¹} and {@code α = A y}, the block-inverse identity
 * gives {@code CG(i) = α_i² / A_ii}, summed over the label dimensions. Labels are one-hot, centred ({@code e_y − 1/K});
 * this differs from the paper's multi-class recipe (per class c, its examples +1 against an equal-size random sample
 * of the other classes −1, averaged over repetitions), which is not implemented. Inputs are the flattened normalized
 * images scaled to unit norm.
 *
 * <p><b>Limits.</b> This is the MLP setting of the paper (raw pixels as the network's input). The Gram matrix is
 * {@code m × m} doubles and its Cholesky factorization costs {@code m³/3}, so the examples are scored in random chunks
 * of at most {@code chunk} examples (default 1,000: 8 MB, well under a second per chunk), each example within its
 * chunk, and the scores averaged over {@code repeats} random partitions; as in the paper's subset sampling, the score
 * then measures irregularity relative to a random subset of the training set rather than to all of it.
 */
public final class ComplexityGapScore {
    private ComplexityGapScore() { }

    /** CG scores of every example of {@code data}, in random chunks of at most {@code chunk}, averaged over {@code repeats}. */
    public static double[] compute(ExampleSet data, int chunk, int repeats, long seed) {
        if (chunk < 2) throw new IllegalArgumentException("complexity gap: chunk must be >= 2, got " + chunk);
        if (repeats < 1) throw new IllegalArgumentException("complexity gap: repeats must be >= 1, got " + repeats);
        int n = data.size(), d = data.exampleSize();
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                x[i][j] = data.x()[i * d + j];
                s += x[i][j] * x[i][j];
            }
            double norm = Math.sqrt(s);
            if (norm > 0) for (int j = 0; j < d; j++) x[i][j] /= norm;
        }
        double[] out = new double[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < repeats; r++) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            int parts = (n + chunk - 1) / chunk;
            for (int q = 0; q < parts; q++) {
                int from = (int) ((long) q * n / parts), to = (int) ((long) (q + 1) * n / parts);
                int[] rows = java.util.Arrays.copyOfRange(p, from, to);
                double[] s = chunkScores(x, data.labels(), data.numClasses(), rows);
                for (int k = 0; k < rows.length; k++) out[rows[k]] += s[k] / repeats;
            }
        }
        return out;
    }

    /** The infinite-width two-layer ReLU Gram entry of unit vectors with inner product {@code c}. */
    static double gram(double c) {
        c = Math.max(-1, Math.min(1, c));
        return c * (Math.PI - Math.acos(c)) / (2 * Math.PI);
    }

    /** Exact CG scores of the examples {@code rows} against each other. */
    static double[] chunkScores(double[][] x, int[] labels, int classes, int[] rows) {
        int m = rows.length;
        double[][] h = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b <= a; b++) {
                double c = 0;
                double[] xa = x[rows[a]], xb = x[rows[b]];
                for (int j = 0; j < xa.length; j++) c += xa[j] * xb[j];
                h[a][b] = h[b][a] = gram(c);
            }
            h[a][a] += 1e-8; // duplicates make H singular
        }
        double[][] inv = invertSpd(h);
        double[] s = new double[m];
        for (int a = 0; a < m; a++) {
            for (int c = 0; c < classes; c++) {
                double alpha = 0;
                for (int b = 0; b < m; b++) alpha += inv[a][b] * ((labels[rows[b]] == c ? 1.0 : 0.0) - 1.0 / classes);
                s[a] += alpha * alpha / inv[a][a];
            }
        }
        return s;
    }

    /** Inverse of a symmetric positive-definite matrix by Cholesky factorization. */
    static double[][] invertSpd(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (s <= 0) throw new IllegalArgumentException("complexity gap: Gram matrix not positive definite");
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        // L⁻¹ (lower), then A⁻¹ = L⁻ᵀ L⁻¹
        double[][] li = new double[n][n];
        for (int i = 0; i < n; i++) {
            li[i][i] = 1 / l[i][i];
            for (int j = 0; j < i; j++) {
                double s = 0;
                for (int k = j; k < i; k++) s -= l[i][k] * li[k][j];
                li[i][j] = s / l[i][i];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += li[k][i] * li[k][j];
                inv[i][j] = inv[j][i] = s;
            }
        }
        return inv;
    }
}
