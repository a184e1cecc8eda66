package dev.engram.memorization.detect;

import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.engine.cpu.FloatDots;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.ParameterVector;
import dev.engram.memorization.data.PerExampleLosses;
import dev.engram.memorization.metrics.NotFiniteException;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Influence-function self-influence via Arnoldi iteration (Schioppa, Zablotskaia, Vilar and Sokolov, "Scaling Up
 * Influence Functions", AAAI 2022; docs/methods.md §8.13). The influence of a training example z on itself is
 * {@code I(z) = g_zᵀ H⁻¹ g_z}, with {@code g_z} the gradient of its loss and {@code H} the Hessian of the training
 * objective at the trained weights. Following the paper, {@code H⁻¹} is restricted to the top of the Hessian's
 * spectrum: Arnoldi iteration with {@code n} Hessian-vector products builds an orthonormal Krylov basis
 * {@code V} and the Hessenberg matrix {@code Vᵀ H V}; the matrix is symmetrized (H is symmetric), diagonalized, and
 * the {@code k} eigenpairs {@code (λ_i, v_i)} of largest |λ| are kept ("distillation"). Then
 * {@code I(z) ≈ Σ_i (g_z·v_i)² / λ_i}, with {@code g_z} from the engine's per-example gradients (evaluation mode,
 * every trainable parameter, unscaled loss). A mislabeled example that the model must bend to fit has a large
 * gradient in the high-curvature directions: higher = suspicious.
 *
 * <p><b>Hessian-vector products by finite differences.</b> The engine has no double backward, so
 * {@code H v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / (2ε)} for unit {@code v} (central differences of exact gradients: error
 * {@code O(ε²)} from the third derivative plus {@code O(u ‖∇L‖ / ε)} from float32 rounding of the gradients,
 * {@code u = 2⁻²⁴}). The step balancing the two is {@code ε ∝ u^{1/3}}; Engram takes
 * {@code ε = u^{1/3} · max(1, ‖θ‖) ≈ 0.0039 · max(1, ‖θ‖)}, i.e. a relative perturbation of the weights of about
 * 0.4%, the usual central-difference choice scaled by the size of the weights. ReLU networks have kinks, so a product
 * is exact only up to the kinks the perturbation crosses. {@code L} is the mean cross-entropy over
 * {@code hessianExamples} training examples (a seeded random sample, as the paper estimates the Hessian on
 * mini-batches) plus the run's coupled weight decay {@code (wd/2)‖θ‖²}, whose Hessian {@code wd·I} is added exactly.
 *
 * <p>Memory: the Krylov basis is {@code (n + 1)} float vectors of the parameter count (the demo MLP, 670k parameters,
 * 30 iterations: 80 MB), capped at {@link #BASIS_BUDGET_BYTES} by running fewer iterations (a ResNet-50, 23.5M
 * parameters: 10); per-example gradients are materialized a few examples at a time. Cost: two gradient passes
 * over the Hessian sample per iteration, plus one per-example gradient pass over the scored examples.
 */
public final class ArnoldiInfluence {
    private ArnoldiInfluence() { }

    /** Eigenpairs kept by the leaderboard. */
    public static final int TOP_K = 10;

    /** Largest Krylov basis kept in memory (bytes); more iterations are cut to fit. */
    public static final long BASIS_BUDGET_BYTES = 1L << 30;

    /** Float32 unit roundoff. */
    static final double FLOAT_ROUNDOFF = Math.pow(2, -24);

    /**
     * Settings.
     *
     * @param iterations      Arnoldi iterations (Hessian-vector products), at least 2
     * @param topK            eigenpairs kept (at most half the iterations run, {@link #keptEigenpairs})
     * @param hessianExamples training examples whose mean loss defines the Hessian (all when larger than the set)
     * @param seed            seed of the start vector and of the Hessian sample
     */
    public record Options(int iterations, int topK, int hessianExamples, long seed) {
        /** 30 iterations, top 10, 1,000 examples, seed 0. */
        public static final Options DEFAULTS = new Options(30, TOP_K, 1000, 0);

        /** Validates. */
        public Options {
            if (iterations < 2) throw new IllegalArgumentException("arnoldi: iterations must be >= 2, got " + iterations);
            if (topK < 1) throw new IllegalArgumentException("arnoldi: top-k must be >= 1, got " + topK);
            if (hessianExamples < 1) throw new IllegalArgumentException("arnoldi: Hessian examples must be >= 1, got " + hessianExamples);
        }
    }

    /**
     * Eigenpairs kept from {@code iterations} Arnoldi iterations: {@code topK}, but at most half the Ritz values. The
     * extreme Ritz values converge first; the rest are still far from eigenvalues of H, and one near zero would
     * dominate Σ (g·v)²/λ (Schioppa et al. keep the top p of n iterations, p well below n).
     */
    static int keptEigenpairs(int topK, int iterations) {
        return Math.max(1, Math.min(topK, iterations / 2));
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) if (!Float.isFinite(x)) return false;
        return true;
    }

    /** A symmetric linear map on parameter vectors (the Hessian). */
    @FunctionalInterface
    public interface LinearMap {
        /** {@code H v}. */
        double[] apply(double[] v);
    }

    /**
     * Top eigenpairs of the Hessian.
     *
     * @param values  eigenvalues, largest |λ| first
     * @param vectors unit eigenvectors, one per value, in the order of {@link ParameterVector#trainable}
     */
    public record Eigenpairs(double[] values, float[][] vectors) { }

    /**
     * Result of {@link #compute}.
     *
     * @param selfInfluence per example
     * @param eigen         the eigenpairs used
     * @param step          finite-difference step ε
     * @param iterations    Arnoldi iterations run (fewer than asked when the basis would exceed
     *                      {@link #BASIS_BUDGET_BYTES})
     */
    public record Result(double[] selfInfluence, Eigenpairs eigen, double step, int iterations) { }

    /** Iterations whose basis of {@code dim} floats fits {@link #BASIS_BUDGET_BYTES}: at most {@code asked}, at least 2. */
    static int affordableIterations(int asked, long dim) {
        long fit = BASIS_BUDGET_BYTES / (4L * Math.max(1, dim)) - 1;
        return (int) Math.max(2, Math.min(asked, fit));
    }

    /** Hessian eigenpairs at {@code model}'s weights, then the self-influence of every example of {@code data}. */
    public static Result compute(Module model, ExampleSet data, Options o, double weightDecay, int batchSize) {
        boolean was = model.isTraining();
        model.eval();
        try {
            List<Tensor> params = ParameterVector.trainable(model);
            double[] theta = ParameterVector.values(params);
            long bad = java.util.Arrays.stream(theta).filter(x -> !Double.isFinite(x)).count();
            if (bad > 0) {
                String first = model.namedParameters().entrySet().stream()
                        .filter(p -> p.getValue().requiresGrad() && !allFinite(p.getValue().toFloatArray()))
                        .map(java.util.Map.Entry::getKey).findFirst().orElse("?");
                throw new NotFiniteException("arnoldi: " + bad + " of " + theta.length + " weights of the model are not"
                        + " finite (the first in tensor '" + first + "')");
            }
            double eps = step(theta);
            int[] rows = sample(data.size(), o.hessianExamples(), o.seed());
            ExampleSet h = data.subset(rows);
            LinearMap hvp = finiteDifferenceHvp(model, params, h, eps, weightDecay, batchSize);
            int n = affordableIterations(o.iterations(), theta.length);
            Eigenpairs e = arnoldi(hvp, theta.length, n, keptEigenpairs(o.topK(), n), o.seed());
            return new Result(selfInfluence(model, data, e, batchSize), e, eps, n);
        } finally {
            model.train(was);
        }
    }

    /** The finite-difference step {@code u^{1/3} · max(1, ‖θ‖)} for weights {@code theta}. */
    static double step(double[] theta) {
        return Math.cbrt(FLOAT_ROUNDOFF) * Math.max(1, Math.sqrt(dot(theta, theta)));
    }

    /**
     * {@code v ↦ (∇L(θ + εv) − ∇L(θ − εv)) / (2ε) + wd·v} for the mean cross-entropy {@code L} over {@code data},
     * restoring the weights after every product.
     */
    public static LinearMap finiteDifferenceHvp(Module model, List<Tensor> params, ExampleSet data, double eps,
                                                double weightDecay, int batchSize) {
        if (!(eps > 0)) throw new IllegalArgumentException("arnoldi: finite-difference step must be > 0, got " + eps);
        return v -> {
            double[] theta = ParameterVector.values(params);
            double[] plus, minus;
            try {
                ParameterVector.set(params, axpy(theta, eps, v));
                plus = ParameterVector.meanLossGradient(model, params, data, batchSize);
                ParameterVector.set(params, axpy(theta, -eps, v));
                minus = ParameterVector.meanLossGradient(model, params, data, batchSize);
            } finally {
                ParameterVector.set(params, theta);
            }
            double[] out = new double[v.length];
            for (int i = 0; i < out.length; i++) out[i] = (plus[i] - minus[i]) / (2 * eps) + weightDecay * v[i];
            return out;
        };
    }

    /**
     * Arnoldi iteration with {@code iterations} products of {@code h} from a seeded random unit vector (modified
     * Gram-Schmidt, repeated once against loss of orthogonality); the Hessenberg matrix is symmetrized and
     * diagonalized and the {@code topK} eigenpairs of largest |λ| are returned. Stops early on an invariant subspace.
     */
    public static Eigenpairs arnoldi(LinearMap h, int dim, int iterations, int topK, long seed) {
        if (dim < 1) throw new IllegalArgumentException("arnoldi: dimension must be >= 1, got " + dim);
        int n = Math.min(iterations, dim);
        float[][] basis = new float[n + 1][];
        double[][] hess = new double[n + 1][n];
        SplittableRandom rnd = new SplittableRandom(seed ^ 0xA2_0D1L);
        double[] q = new double[dim];
        for (int i = 0; i < dim; i++) q[i] = rnd.nextGaussian();
        scale(q, 1 / Math.sqrt(dot(q, q)));
        basis[0] = toFloat(q);
        int built = n;
        for (int j = 0; j < n; j++) {
            double[] w = h.apply(toDouble(basis[j]));
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i <= j; i++) {
                    double c = dotF(w, basis[i]);
                    hess[i][j] += c;
                    for (int t = 0; t < dim; t++) w[t] -= c * basis[i][t];
                }
            }
            double norm = Math.sqrt(dot(w, w));
            hess[j + 1][j] = norm;
            if (norm < 1e-10 * Math.max(1, Math.abs(hess[j][j]))) {
                built = j + 1;
                break;
            }
            scale(w, 1 / norm);
            basis[j + 1] = toFloat(w);
        }
        double[][] t = new double[built][built];
        for (int a = 0; a < built; a++) {
            for (int b = 0; b < built; b++) t[a][b] = 0.5 * (hess[a][b] + hess[b][a]);
        }
        double[][] y = new double[built][built];
        double[] lambda = jacobiEigen(t, y);
        Integer[] order = new Integer[built];
        for (int i = 0; i < built; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(Math.abs(lambda[b]), Math.abs(lambda[a])));
        int k = Math.min(topK, built);
        double[] values = new double[k];
        float[][] vectors = new float[k][];
        for (int r = 0; r < k; r++) {
            int c = order[r];
            values[r] = lambda[c];
            double[] v = new double[dim];
            for (int a = 0; a < built; a++) {
                double ya = y[a][c];
                float[] ba = basis[a];
                for (int i = 0; i < dim; i++) v[i] += ya * ba[i];
            }
            scale(v, 1 / Math.sqrt(dot(v, v)));
            vectors[r] = toFloat(v);
        }
        return new Eigenpairs(values, vectors);
    }

    /**
     * Eigenvalues of the symmetric matrix {@code a} (overwritten) by cyclic Jacobi rotations; the eigenvectors are
     * written as the columns of {@code vectors}.
     */
    static double[] jacobiEigen(double[][] a, double[][] vectors) {
        int n = a.length;
        for (int i = 0; i < n; i++) {
            Arrays.fill(vectors[i], 0);
            vectors[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, all = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    all += a[i][j] * a[i][j];
                    if (i != j) off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-30 * Math.max(all, 1e-300)) break;
            for (int p = 0; p < n - 1; p++) {
                for (int r = p + 1; r < n; r++) {
                    if (a[p][r] == 0) continue;
                    double theta = (a[r][r] - a[p][p]) / (2 * a[p][r]);
                    double tt = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) tt = 1;
                    double c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
                    for (int k = 0; k < n; k++) { // A ← A J
                        double akp = a[k][p], akr = a[k][r];
                        a[k][p] = c * akp - s * akr;
                        a[k][r] = s * akp + c * akr;
                    }
                    for (int k = 0; k < n; k++) { // A ← Jᵀ A
                        double apk = a[p][k], ark = a[r][k];
                        a[p][k] = c * apk - s * ark;
                        a[r][k] = s * apk + c * ark;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k][p], vkr = vectors[k][r];
                        vectors[k][p] = c * vkp - s * vkr;
                        vectors[k][r] = s * vkp + c * vkr;
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = a[i][i];
        return out;
    }

    /** {@code Σ_i (g_z·v_i)² / λ_i} per example of {@code data}, from per-example gradients (evaluation mode). */
    public static double[] selfInfluence(Module model, ExampleSet data, Eigenpairs e, int batchSize) {
        List<Tensor> params = ParameterVector.trainable(model);
        long dim = 0;
        for (Tensor p : params) dim += p.numel();
        // per-example gradients are materialized: at most ~16M floats at once
        int batch = (int) Math.max(1, Math.min(batchSize, (1L << 24) / Math.max(1, dim)));
        int n = data.size(), k = e.values().length;
        double[] out = new double[n];
        boolean was = model.isTraining();
        model.eval();
        try {
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch), b = to - from;
                double[][] proj = new double[b][k];
                try (TensorScope s = Tensors.scope()) {
                    LabeledBatch lb = new LabeledBatch(data.images(from, to), data.labelTensor(from, to), data.ids(from, to));
                    PerExampleGradients pe = PerExample.gradients(params, idx -> PerExampleLosses.losses(model, lb, idx), b);
                    int offset = 0;
                    for (Tensor p : params) {
                        int size = (int) p.numel();
                        project(pe.gradients(p).toFloatArray(), b, size, e.vectors(), offset, proj);
                        offset += size;
                    }
                    pe.release();
                }
                for (int ex = 0; ex < b; ex++) {
                    double sum = 0;
                    for (int i = 0; i < k; i++) sum += proj[ex][i] * proj[ex][i] / e.values()[i];
                    out[from + ex] = sum;
                }
            }
        } finally {
            model.zeroGrad();
            model.train(was);
        }
        return out;
    }

    /** Parameters per block of {@link #project}: the vectors' slices of a block (k · 16 KiB) stay in L2. */
    private static final int PROJECTION_BLOCK = 4096;

    /**
     * {@code proj[ex][i] += Σ_q g[ex·size + q] · vectors[i][offset + q]} for {@code examples} gradients of
     * {@code size} parameters each ({@link FloatDots}: float lanes within blocks of 1,024 parameters, blocks added in
     * double). Parameters go in blocks whose slices of the vectors stay in cache while every example passes over
     * them; examples are split across threads, each sum is one thread's in a fixed order, so the result does not
     * depend on the thread count.
     */
    static void project(float[] g, int examples, int size, float[][] vectors, int offset, double[][] proj) {
        int k = vectors.length;
        CpuParallel.forRange(examples, 1, (e0, e1) -> {
            for (int q0 = 0; q0 < size; q0 += PROJECTION_BLOCK) {
                int len = Math.min(size, q0 + PROJECTION_BLOCK) - q0;
                for (int ex = e0; ex < e1; ex++) {
                    for (int i = 0; i < k; i++) proj[ex][i] += FloatDots.dot(g, ex * size + q0, vectors[i], offset + q0, len);
                }
            }
        });
    }

    /** {@code m} distinct sorted indices of {@code 0..n-1} (all when {@code m >= n}), seeded. */
    static int[] sample(int n, int m, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        if (m >= n) return p;
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x4E55_1A4L);
        for (int i = 0; i < m; i++) {
            int j = i + rnd.nextInt(n - i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        int[] out = Arrays.copyOf(p, m);
        Arrays.sort(out);
        return out;
    }

    private static double[] axpy(double[] x, double a, double[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] + a * y[i];
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double dotF(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static void scale(double[] a, double s) {
        for (int i = 0; i < a.length; i++) a[i] *= s;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
