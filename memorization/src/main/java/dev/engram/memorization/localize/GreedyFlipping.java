package dev.engram.memorization.localize;

import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.nn.Taps;

import java.util.List;

/**
 * Greedy neuron flipping (Maini et al. 2023, the paper's method; docs/methods.md §5), run by {@link NeuronFlipping}
 * with activation units: units are zeroed one by one until the target's prediction flips. As a ranking, the unit
 * zeroed first scores highest ({@code count − rank}), and units never zeroed score 0 (tied last). Its reference batch
 * never holds the target.
 */
public final class GreedyFlipping implements LocalizationMethod {
    private final NeuronFlipping.Options options;

    /** @param options flipping settings; the variant must be {@link NeuronFlipping.Variant#ACTIVATIONS} */
    public GreedyFlipping(NeuronFlipping.Options options) {
        if (options.variant() != NeuronFlipping.Variant.ACTIVATIONS) {
            throw new IllegalArgumentException("greedy flipping as a localization method needs activation units, got "
                    + options.variant());
        }
        this.options = options;
    }

    @Override
    public String name() {
        return "greedy-flipping";
    }

    @Override
    public double[][] scores(MaskedModel model, int[] targets) {
        // Targets outside the default reference batch are searched together with it; a target inside it gets a
        // search whose reference batch skips it (the same rows otherwise), so results do not depend on the batching.
        NeuronFlipping shared = NeuronFlipping.activations(model.model(), model.data(), options, new int[0]);
        List<NeuronFlipping.Target> found = new java.util.ArrayList<>(java.util.Collections.nCopies(targets.length, null));
        java.util.List<Integer> together = new java.util.ArrayList<>();
        for (int t = 0; t < targets.length; t++) {
            if (shared.canTarget(targets[t])) together.add(t);
        }
        try (Taps p = model.placement() == null ? null : model.placement().open()) {
            List<NeuronFlipping.Target> r = shared.search(together.stream().mapToInt(t -> targets[t]).toArray());
            for (int k = 0; k < r.size(); k++) found.set(together.get(k), r.get(k));
            for (int t = 0; t < targets.length; t++) {
                if (found.get(t) != null) continue;
                NeuronFlipping own = NeuronFlipping.activations(model.model(), model.data(), options, new int[] {targets[t]});
                found.set(t, own.search(new int[] {targets[t]}).get(0));
            }
        }
        double[][] out = new double[targets.length][model.units()];
        for (int t = 0; t < targets.length; t++) {
            List<NeuronFlipping.Unit> units = found.get(t).units();
            for (int r = 0; r < units.size(); r++) {
                out[t][model.flatIndex(units.get(r).layer(), units.get(r).index())] = units.size() - r;
            }
        }
        return out;
    }
}
