package dev.engram.memorization.localize;

import dev.engram.memorization.flip.NeuronFlipping;

import java.util.ArrayList;
import java.util.List;

/** The localization methods by command-line name, with the settings the CLI and the benchmark use. */
public final class LocalizationMethods {
    /** Every method name, in table order. */
    public static final List<String> NAMES = List.of("greedy-flipping", "first-order", "zero-out", "activations",
            "integrated-gradients", "slimming", "hard-concrete", "random");

    private LocalizationMethods() { }

    /**
     * Settings shared by the methods.
     *
     * @param referenceSize   other training examples a method compares with (activations, flipping, learned masks)
     * @param batchSize       rows per forward pass
     * @param igSteps         integrated-gradients steps
     * @param maskSteps       gradient steps of slimming and hard concrete
     * @param maskRate        their step size
     * @param lambda          their size penalty per unit
     * @param flipMaxUnits    cap on units greedy flipping zeroes
     * @param flipExact       greedy flipping recomputes the reference gradient after every zeroing (the paper's
     *                        criterion) instead of reusing the unedited model's
     * @param seed            seed of every sample and of random scores
     */
    public record Settings(int referenceSize, int batchSize, int igSteps, int maskSteps, double maskRate, double lambda,
                           int flipMaxUnits, boolean flipExact, long seed) {
        /** 64 reference examples, batches of 512, 16 IG steps, 60 mask steps of 0.2 with λ 0.01, flipping up to 50 units (shared reference gradient). */
        public static final Settings DEFAULTS = new Settings(64, 512, 16, 60, 0.2, 0.01, 50, false, 0);
    }

    /** The methods named (each one of {@link #NAMES}), in the order given. */
    public static List<LocalizationMethod> create(List<String> names, Settings s) {
        if (names.isEmpty()) throw new IllegalArgumentException("localize: no method given; choose from " + NAMES);
        List<LocalizationMethod> out = new ArrayList<>();
        for (String n : names) {
            out.add(switch (n) {
                case "greedy-flipping" -> new GreedyFlipping(NeuronFlipping.Options.defaults().toBuilder()
                        .maxUnits(s.flipMaxUnits()).referenceSize(s.referenceSize()).remainingEvalSize(0)
                        .evalBatchSize(s.batchSize()).seed(s.seed())
                        .referenceGradient(s.flipExact() ? NeuronFlipping.ReferenceGradient.EXACT
                                : NeuronFlipping.ReferenceGradient.SHARED).build());
                case "first-order" -> new FirstOrder(s.batchSize());
                case "zero-out" -> new ZeroOut(s.batchSize());
                case "activations" -> new ActivationOutlier(Math.max(3, s.referenceSize()), s.batchSize(), s.seed());
                case "integrated-gradients" -> new IntegratedGradients(s.igSteps(), s.batchSize());
                case "slimming" -> new Slimming(learned(s));
                case "hard-concrete" -> new HardConcrete(learned(s));
                case "random" -> new RandomRanking(s.seed());
                default -> throw new IllegalArgumentException("localize: unknown method '" + n + "'; choose from " + NAMES);
            });
        }
        return out;
    }

    private static LearnedMask.Settings learned(Settings s) {
        return new LearnedMask.Settings(s.maskSteps(), s.maskRate(), s.lambda(), s.referenceSize(),
                Math.max(1, s.batchSize() / (1 + s.referenceSize())), s.seed());
    }
}
