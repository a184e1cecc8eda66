package dev.engram.memorization.detect;

import dev.engram.memorization.data.ExampleSet;

import java.util.SplittableRandom;

/**
 * The complexity-gap score (Ki, Choi and Chung, "Data Valuation without Training of a Model", ICLR 2023;
 * docs/methods.md §8.3 and §8.13): a training-free score from the Gram matrix of a two-layer, over-parameterized ReLU
 * network at infinite width, {@code H∞_ij = x_i·x_j (π − arccos(x_i·x_j)) / (2π)} for unit-norm inputs (so
 * {@code H∞_ii = 1/2}). For binary labels {@code y ∈ {±1}ⁿ} the complexity {@code yᵀ (H∞)⁻¹ y} bounds the network's
 * generalization gap and the distance its weights move in training; the score of example i is the complexity it
 * adds, {@code CG(i) = yᵀ H⁻¹ y − y₋ᵢᵀ (H₋ᵢ)⁻¹ y₋ᵢ} (the paper's Eq. 6). An irregular or mislabeled example is hard to
 * explain by its neighbours and adds much complexity: higher = suspicious.
 *
 * <p><b>Multi-class recipe (the paper's).</b> For every class c: the examples labelled c get {@code y = +1}, an
 * equal number of examples drawn at random from the other classes gets {@code y = −1}, the Gram matrix of these
 * {@code 2 n_c} examples is inverted and every example of class c is scored in that binary problem (the sampled
 * examples of other classes are not scored there; each is scored in its own class's problem). Repeated
 * {@code repeats} times with fresh samples and averaged. Labels are the run's training labels (noisy ones included,
 * which is what lets the score find them).
 *
 * <p>Computed exactly without re-inversions: with {@code A = H⁻¹} and {@code α = A y}, the block-inverse identity gives
 * {@code CG(i) = α_i² / A_ii}.
 *
 * <p><b>Limits.</b> This is the MLP setting of the paper (the run's normalized pixels, flattened and scaled to unit norm, as the
 * network's input). A binary problem of {@code m = 2 n_c} examples needs an {@code m × m} double matrix and its
 * inverse ({@code 2 · 8 m²} bytes) and {@code ≈ m³/2} multiply-adds: m = 1,000 takes 16 MB and about a second,
 * m = 12,000 (a full MNIST class against as many others) 2.3 GB and tens of minutes. So a class with more than
 * {@code maxGram / 2} examples is split into random parts of at most {@code maxGram / 2}, each paired with its own
 * random sample of the other classes; with {@code maxGram ≥ 2 × largest class} (the default 1,000 covers runs of up to
 * about 5,000 balanced examples of 10 classes) this is exactly the paper's recipe, otherwise an example is scored
 * against a random part of its class.
 */
public final class ComplexityGapScore {
    private ComplexityGapScore() { }

    /**
     * CG scores of every example of {@code data} by the paper's multi-class recipe, averaged over {@code repeats}.
     *
     * @param maxGram largest Gram matrix (examples) of one binary problem, at least 2
     */
    public static double[] compute(ExampleSet data, int maxGram, int repeats, long seed) {
        if (maxGram < 2) throw new IllegalArgumentException("complexity gap: largest Gram matrix must be >= 2 examples, got " + maxGram);
        if (repeats < 1) throw new IllegalArgumentException("complexity gap: repeats must be >= 1, got " + repeats);
        int n = data.size(), k = data.numClasses();
        double[][] x = unitRows(data);
        int[] labels = data.labels();
        double[] sum = new double[n];
        int[] times = new int[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < repeats; r++) {
            for (int c = 0; c < k; c++) {
                int[] own = rowsWhere(labels, c, true), others = rowsWhere(labels, c, false);
                if (own.length == 0 || others.length == 0) continue;
                shuffle(own, rnd);
                int partSize = Math.max(1, maxGram / 2);
                int parts = (own.length + partSize - 1) / partSize;
                for (int q = 0; q < parts; q++) {
                    int from = (int) ((long) q * own.length / parts), to = (int) ((long) (q + 1) * own.length / parts);
                    int[] pos = java.util.Arrays.copyOfRange(own, from, to);
                    shuffle(others, rnd);
                    int[] neg = java.util.Arrays.copyOf(others, Math.min(pos.length, others.length));
                    int[] rows = new int[pos.length + neg.length];
                    double[] y = new double[rows.length];
                    for (int a = 0; a < rows.length; a++) {
                        rows[a] = a < pos.length ? pos[a] : neg[a - pos.length];
                        y[a] = a < pos.length ? 1 : -1;
                    }
                    double[] s = binaryScores(x, y, rows);
                    for (int a = 0; a < pos.length; a++) {
                        sum[pos[a]] += s[a];
                        times[pos[a]]++;
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = times[i] == 0 ? 0 : sum[i] / times[i];
        return out;
    }

    /** The examples of {@code data} as flattened rows scaled to unit norm (an all-zero row stays zero). */
    static double[][] unitRows(ExampleSet data) {
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
        return x;
    }

    private static int[] rowsWhere(int[] labels, int c, boolean equal) {
        return java.util.stream.IntStream.range(0, labels.length).filter(i -> (labels[i] == c) == equal).toArray();
    }

    private static void shuffle(int[] p, SplittableRandom rnd) {
        for (int i = p.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }

    /** The infinite-width two-layer ReLU Gram entry of unit vectors with inner product {@code c}. */
    static double gram(double c) {
        c = Math.max(-1, Math.min(1, c));
        return c * (Math.PI - Math.acos(c)) / (2 * Math.PI);
    }

    /** {@code H∞} of the unit rows {@code rows} of {@code x} (diagonal exactly 1/2). */
    static double[][] gramMatrix(double[][] x, int[] rows) {
        int m = rows.length;
        double[][] h = new double[m][m];
        // rows a and m-1-a together give every thread about the same work
        dev.engram.engine.cpu.CpuParallel.forRange((m + 1) / 2, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                for (int a : p == m - 1 - p ? new int[] {p} : new int[] {p, m - 1 - p}) {
                    double[] xa = x[rows[a]];
                    for (int b = 0; b < a; b++) {
                        double[] xb = x[rows[b]];
                        h[a][b] = h[b][a] = gram(dot(xa, xb, 0, xa.length));
                    }
                    h[a][a] = 0.5 + 1e-10; // exact duplicates would make H singular
                }
            }
        });
        return h;
    }

    /**
     * Exact CG scores {@code α_a² / (A⁻¹)_aa} of the binary problem with labels {@code y} (±1, by position in
     * {@code rows}) on the unit rows {@code rows}, with {@code α = A⁻¹ y}. From the Cholesky factor {@code A = L Lᵀ}:
     * {@code α} by two triangular solves, and {@code (A⁻¹)_aa = ‖L⁻¹ e_a‖²} by one forward solve per example (split
     * across threads; each is one thread's in a fixed order, so the scores do not depend on the thread count).
     */
    static double[] binaryScores(double[][] x, double[] y, int[] rows) {
        int m = rows.length;
        double[][] l = cholesky(gramMatrix(x, rows));
        double[] alpha = new double[m];
        for (int i = 0; i < m; i++) alpha[i] = (y[i] - dot(l[i], alpha, 0, i)) / l[i][i]; // L z = y
        for (int i = m - 1; i >= 0; i--) { // Lᵀ α = z
            double t = alpha[i];
            for (int k = i + 1; k < m; k++) t -= l[k][i] * alpha[k];
            alpha[i] = t / l[i][i];
        }
        double[] s = new double[m];
        // a solve costs about (m - a)²/2: pairs (p, m-1-p) even it out, and many small chunks balance the rest
        int pairs = (m + 1) / 2;
        dev.engram.engine.cpu.CpuParallel.forChunks(pairs, Math.min(pairs, 8 * dev.engram.engine.cpu.CpuParallel.threads()), (p0, p1) -> {
            double[] v = new double[m];
            for (int p = p0; p < p1; p++) {
                for (int a : p == m - 1 - p ? new int[] {p} : new int[] {p, m - 1 - p}) {
                    // v = L⁻¹ e_a: zero above a
                    v[a] = 1 / l[a][a];
                    double norm = v[a] * v[a];
                    for (int i = a + 1; i < m; i++) {
                        v[i] = -dot(l[i], v, a, i) / l[i][i];
                        norm += v[i] * v[i];
                    }
                    s[a] = alpha[a] * alpha[a] / norm;
                }
            }
        });
        return s;
    }

    /** The lower Cholesky factor {@code L} of a symmetric positive-definite matrix, {@code a = L Lᵀ}. */
    static double[][] cholesky(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double t = a[i][j] - dot(l[i], l[j], 0, j);
                if (i == j) {
                    if (t <= 0) throw new IllegalArgumentException("complexity gap: Gram matrix not positive definite");
                    l[i][i] = Math.sqrt(t);
                } else {
                    l[i][j] = t / l[j][j];
                }
            }
        }
        return l;
    }

    /** {@code Σ a[k] b[k]} over {@code [from, to)}, four interleaved partial sums. */
    private static double dot(double[] a, double[] b, int from, int to) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int k = from;
        for (; k + 3 < to; k += 4) {
            s0 += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        for (; k < to; k++) s0 += a[k] * b[k];
        return (s0 + s1) + (s2 + s3);
    }
}
