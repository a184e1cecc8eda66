package dev.engram.nn.optim;

import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Sharpness-aware minimization (Foret et al., "Sharpness-Aware Minimization for Efficiently Improving
 * Generalization", ICLR 2021, Algorithm 1; docs/methods.md §10.2) around any base optimizer (SGD, AdamW): with the
 * gradient {@code g} at {@code w}, move to the worst point of the {@code rho}-ball, {@code w + e} with
 * {@code e = rho g / ||g||}, take the gradient there (a second forward and backward pass, done by the
 * {@code recomputeGradients} callback of {@link #step(Runnable)}), go back to {@code w} and let the base optimizer step
 * with that gradient. The adaptive variant (ASAM, Kwon et al., ICML 2021) scales the ball by the weights' magnitudes:
 * {@code e = rho T^2 g / ||T g||} with {@code T = |w| + eta} ({@code eta = 0.01}) for the parameters named
 * {@code *weight*} and {@code T = 1} for the others (biases, shifts), as the ASAM authors' code does; they use
 * {@code rho = 0.5} where SAM uses 0.05.
 *
 * <p>The state (momentum, moments) is the base optimizer's; the learning rate set here is the base's.
 */
public final class Sam extends DelegatingOptimizer {
    private static final double EPS = 1e-12;
    /** ASAM's offset of {@code |w|}: a weight at zero still gets perturbed. */
    static final float ASAM_ETA = 0.01f;
    private final double rho;
    private final boolean adaptive;

    /**
     * @param base     the optimizer that takes the step (not a {@link MaskedOptimizer}: masks go around SAM)
     * @param rho      radius of the neighbourhood ({@code > 0}; SAM's paper uses 0.05)
     * @param adaptive ASAM: scale the neighbourhood by {@code |w|}
     */
    public Sam(Optimizer base, double rho, boolean adaptive) {
        super(base);
        if (base instanceof Sam) throw new IllegalArgumentException("Sam: the base optimizer is already SAM");
        if (base instanceof MaskedOptimizer) {
            throw new IllegalArgumentException("Sam: the base optimizer is masked, so the perturbation would move pruned"
                    + " weights; wrap SAM in the masks instead: new MaskedOptimizer(new Sam(base, rho, adaptive), masks)");
        }
        if (!(rho > 0) || !Double.isFinite(rho)) throw new IllegalArgumentException("Sam: rho must be finite and > 0, got " + rho);
        this.rho = rho;
        this.adaptive = adaptive;
    }

    /** ASAM's {@code T} for parameter {@code name}: {@code |w| + eta} for weights; null (1) for SAM and the others. */
    private Tensor adaptiveScale(String name, Tensor p) {
        return adaptive && name.contains("weight") ? p.abs().add(ASAM_ETA) : null;
    }

    /** Neighbourhood radius. */
    public double rho() {
        return rho;
    }

    /** Whether this is the adaptive variant. */
    public boolean adaptive() {
        return adaptive;
    }

    /** SAM needs a second gradient: refuses a step without the callback that computes it. */
    @Override
    public void step() {
        throw new IllegalStateException("Sam: a step needs the gradient at the perturbed weights; call step(recomputeGradients)");
    }

    /**
     * One SAM step: perturbs the weights along the current gradients, runs {@code recomputeGradients} (which must zero
     * the gradients, run forward and loss on the same batch and back-propagate), restores the weights and steps the
     * base optimizer with the new gradients.
     */
    @Override
    public void step(Runnable recomputeGradients) {
        List<Tensor> moved = new ArrayList<>();
        List<Tensor> shifts = new ArrayList<>();
        try (Grad g = Grad.disabled()) {
            double sq = 0;
            for (var entry : parameters().entrySet()) {
                Tensor p = entry.getValue();
                if (p.grad() == null) continue;
                Tensor t = adaptiveScale(entry.getKey(), p);
                Tensor scaled = t == null ? p.grad() : t.mul(p.grad());
                sq += scaled.sumSquares().item();
            }
            float scale = (float) (rho / (Math.sqrt(sq) + EPS));
            for (var entry : parameters().entrySet()) {
                Tensor p = entry.getValue();
                if (p.grad() == null) continue;
                Tensor t = adaptiveScale(entry.getKey(), p);
                Tensor e = (t == null ? p.grad() : t.square().mul(p.grad())).mul(scale);
                p.copyFrom(p.add(e));
                moved.add(p);
                shifts.add(e);
            }
        }
        recomputeGradients.run();
        try (Grad g = Grad.disabled()) {
            for (int i = 0; i < moved.size(); i++) moved.get(i).copyFrom(moved.get(i).sub(shifts.get(i)));
        }
        base().step();
    }
}
