package dev.engram.memorization.cli;

import dev.engram.memorization.compare.FittingCurves;
import dev.engram.memorization.data.RunData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code engram fitting-curves --run DIR}: trains models of the run's architecture and recipe on true labels, random
 * labels and corrupted inputs (Zhang et al. 2017) and writes their fitting curves into {@code analyses/fitting-curves/}.
 */
@Command(name = "fitting-curves", mixinStandardHelpOptions = true,
        description = "Fitting curves of random labels and random inputs (Zhang et al. 2017, docs/methods.md §8.10): models"
                + " of the run's architecture and recipe trained from scratch with true labels, 50%% and 100%% random labels,"
                + " shuffled pixels, random pixels and Gaussian inputs; training loss and accuracy per epoch and the time"
                + " to 100%% training accuracy. Writes analyses/fitting-curves/.")
public final class FittingCurvesCommand extends AnalysisCommand {
    @Option(names = "--variants", split = ",", paramLabel = "V,V,...", description = "Variants to train: true-labels,"
            + " half-random-labels, random-labels, shuffled-pixels, random-pixels, gaussian (default: all).")
    List<String> variants;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs of each model; 0 = the run's (default: 0).")
    int epochs;

    @Override
    public Integer call() throws Exception {
        List<FittingCurves.Variant> chosen = new ArrayList<>();
        if (variants == null) chosen.addAll(FittingCurves.STANDARD);
        else for (String v : variants) chosen.add(UsageException.validate("--variants", () -> FittingCurves.standard(v)));
        execute(new FittingCurves(), UsageException.validate(() -> new FittingCurves.Options(chosen, epochs,
                RunData.EVAL_BATCH)));
        return 0;
    }
}
