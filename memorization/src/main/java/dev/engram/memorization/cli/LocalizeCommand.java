package dev.engram.memorization.cli;

import dev.engram.memorization.localize.LocalizationAnalysis;
import dev.engram.memorization.localize.LocalizationComparison;
import dev.engram.memorization.localize.LocalizationMethods;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * {@code engram localize --run DIR --methods ...}: localization methods side by side on the run's final model;
 * writes {@code analyses/localize/}.
 */
@Command(name = "localize", mixinStandardHelpOptions = true,
        description = "Localization methods side by side (greedy flipping, first-order, zero-out, activations,"
                + " integrated gradients, slimming, hard concrete, random) on memorized noisy examples of the run's"
                + " model: does zeroing each method's top-k units remove the memorized prediction, at what cost on"
                + " other training and test examples, how much the units overlap across examples, time per example."
                + " Writes analyses/localize/.")
public final class LocalizeCommand extends AnalysisCommand {
    private static final LocalizationMethods.Settings M = LocalizationMethods.Settings.DEFAULTS;

    @Option(names = "--methods", paramLabel = "LIST", split = ",",
            description = "Methods, comma-separated (default: all): greedy-flipping, first-order, zero-out, activations,"
                    + " integrated-gradients, slimming, hard-concrete, random.")
    List<String> methods = LocalizationMethods.NAMES;

    @Option(names = "--targets", paramLabel = "N", description = "Memorized noisy examples to localize (default: 20).")
    int targets = 20;

    @Option(names = {"--checkpoint", "--epoch"}, paramLabel = "E", description = "Checkpoint epoch; -1 = the last (default: -1).")
    int epoch = -1;

    @Option(names = "--reference", paramLabel = "N", description = "Other training examples a method compares with (default: 64).")
    int reference = M.referenceSize();

    @Option(names = "--ig-steps", paramLabel = "N", description = "Integrated-gradients steps (default: 16).")
    int igSteps = M.igSteps();

    @Option(names = "--mask-steps", paramLabel = "N", description = "Gradient steps of slimming and hard concrete (default: 60).")
    int maskSteps = M.maskSteps();

    @Option(names = "--lambda", paramLabel = "X", description = "Size penalty per unit of slimming and hard concrete (default: 0.01).")
    double lambda = M.lambda();

    @Option(names = "--flip-exact", description = "Greedy flipping recomputes the reference gradient after every zeroing (the paper's criterion; slower).")
    boolean flipExact;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the target sample, reference and random scores (default: 0).")
    long seed;

    @Override
    public Integer call() throws Exception {
        execute(new LocalizationAnalysis(), UsageException.validate(() -> options(methods, targets, epoch,
                settings(reference, igSteps, maskSteps, lambda, flipExact, seed))));
        return 0;
    }

    static LocalizationMethods.Settings settings(int reference, int igSteps, int maskSteps, double lambda, boolean flipExact,
                                                 long seed) {
        return new LocalizationMethods.Settings(reference, M.batchSize(), igSteps, maskSteps, M.maskRate(), lambda,
                M.flipMaxUnits(), flipExact, seed);
    }

    private static LocalizationAnalysis.Options options(List<String> methods, int targets, int epoch,
                                                        LocalizationMethods.Settings s) {
        return new LocalizationAnalysis.Options(methods, targets, epoch, s, LocalizationComparison.Settings.DEFAULTS);
    }
}
