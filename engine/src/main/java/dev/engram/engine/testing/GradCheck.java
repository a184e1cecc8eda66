package dev.engram.engine.testing;

import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Compares analytic gradients with central finite differences.
 *
 * <p>The function's output is projected onto fixed random weights, {@code L = sum(f(x) * R)},
 * accumulated in double precision on the host. The analytic gradient of L comes from
 * {@code backward}; the numeric one from {@code (L(x + h e_j) - L(x - h e_j)) / 2h} for every
 * checked element {@code j}. Forward passes run in float32, so the step {@code h} must be large
 * enough that rounding (about 1e-7 |L| / h) stays far below the tolerance, and inputs must stay
 * at least {@code h} away from kinks (ReLU at 0, ties in max). A mismatch throws an
 * {@link AssertionError} naming the op, the input, the element and the seed.
 */
public final class GradCheck {
    private final String name;
    private final long seed;
    private double step = 1e-2;
    private double rtol = 2e-2;
    private double atol = 2e-3;
    private int maxElementsPerInput = 64;

    private GradCheck(String name, long seed) {
        this.name = name;
        this.seed = seed;
    }

    /** A check named for messages, with the seed that drives the projection and element sampling. */
    public static GradCheck of(String name, long seed) {
        return new GradCheck(name, seed);
    }

    /**
     * Sets the relative finite-difference step: element x is moved by {@code h * max(1, |x|)} each way (default 1e-2);
     * returns this.
     */
    public GradCheck step(double h) {
        this.step = h;
        return this;
    }

    /**
     * Sets the tolerances: an element fails when {@code |analytic - numeric|} exceeds
     * {@code absolute + relative * max(|analytic|, |numeric|)} (defaults 2e-2 relative, 2e-3 absolute); returns this.
     */
    public GradCheck tolerance(double relative, double absolute) {
        this.rtol = relative;
        this.atol = absolute;
        return this;
    }

    /** Checks at most this many elements per input (chosen at random), all if fewer. */
    public GradCheck maxElements(int n) {
        this.maxElementsPerInput = n;
        return this;
    }

    /** Result of one check. */
    public record Report(String name, long seed, int checked, double maxAbsError, double maxRelError) {}

    /**
     * Runs the check. {@code inputs} that require a gradient are checked; others are constants.
     *
     * @return statistics of the comparison (the check throws on any mismatch)
     */
    public Report check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Tensor t : inputs) t.zeroGrad();
        Tensor out = f.apply(inputs);
        float[] proj = new float[(int) out.numel()];
        for (int k = 0; k < proj.length; k++) proj[k] = (float) (rnd.nextDouble() * 2 - 1);
        Tensor r = Tensor.of(out.device(), proj, out.shape());
        if (!out.requiresGrad()) throw new AssertionError(name + ": output does not require a gradient");
        out.mul(r).sum().backward();
        int checked = 0;
        double maxAbs = 0, maxRel = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (!x.requiresGrad()) continue;
            if (x.grad() == null) throw new AssertionError(name + ": input " + i + " " + x.describe() + " received no gradient");
            float[] analytic = x.grad().toFloatArray();
            float[] values = x.toFloatArray();
            int n = values.length;
            int[] elems = pick(n, rnd);
            for (int j : elems) {
                float orig = values[j];
                double h = step * Math.max(1.0, Math.abs(orig));
                values[j] = (float) (orig + h);
                double up = project(f, inputs, i, values, proj);
                values[j] = (float) (orig - h);
                double down = project(f, inputs, i, values, proj);
                values[j] = orig;
                double hEff = ((double) (float) (orig + h) - (double) (float) (orig - h)) / 2;
                double numeric = (up - down) / (2 * hEff);
                double a = analytic[j];
                double err = Math.abs(a - numeric);
                double rel = err / Math.max(1e-12, Math.max(Math.abs(a), Math.abs(numeric)));
                maxAbs = Math.max(maxAbs, err);
                if (err > atol) maxRel = Math.max(maxRel, rel);
                if (err > atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)) && failures.size() < 5) {
                    failures.add(String.format(Locale.ROOT, "input %d %s element %d: analytic %.6g vs numeric %.6g",
                            i, x.describe(), j, a, numeric));
                }
                checked++;
            }
            x.copyFrom(Tensor.of(x.device(), values, x.shape()));
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(name + " (seed " + seed + "): gradient mismatch\n  " + String.join("\n  ", failures));
        }
        return new Report(name, seed, checked, maxAbs, maxRel);
    }

    private int[] pick(int n, SplittableRandom rnd) {
        if (n <= maxElementsPerInput) {
            int[] all = new int[n];
            for (int k = 0; k < n; k++) all[k] = k;
            return all;
        }
        int[] perm = new int[n];
        for (int k = 0; k < n; k++) perm[k] = k;
        for (int k = 0; k < maxElementsPerInput; k++) {
            int j = k + rnd.nextInt(n - k);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        return java.util.Arrays.copyOf(perm, maxElementsPerInput);
    }

    private static double project(Function<Tensor[], Tensor> f, Tensor[] inputs, int which, float[] values, float[] proj) {
        inputs[which].copyFrom(Tensor.of(inputs[which].device(), values, inputs[which].shape()));
        try (Grad g = Grad.disabled()) {
            float[] y = f.apply(inputs).toFloatArray();
            double s = 0;
            for (int k = 0; k < y.length; k++) s += (double) y[k] * proj[k];
            return s;
        }
    }
}
