package dev.engram.memorization.cli;

import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment.Method;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code engram etd --run DIR}: trains models of the run with example-tied dropout (and the baselines) on its noisy
 * labels with its training recipe, and writes {@code analyses/etd/}. The run comes from {@code engram train}.
 */
@Command(name = "etd", mixinStandardHelpOptions = true,
        description = "Example-tied dropout (docs/methods.md §6): train models of the run with per-example memorization units, then"
                + " drop them and report clean-train, noisy-train and test accuracy before and after, beside standard"
                + " dropout and a fixed sparse mask. Uses the run's model, data and training recipe. Writes analyses/etd/.")
public final class EtdCommand extends AnalysisCommand {
    private static final ExampleTiedDropoutExperiment.Settings D = ExampleTiedDropoutExperiment.Settings.DEFAULTS;

    @Option(names = "--grid", defaultValue = "0.2:0.1", split = ",", paramLabel = "PGEN:PMEM",
            description = "(pGen:pMem) pairs for example-tied dropout, comma separated (default: ${DEFAULT-VALUE};"
                    + " the reference code's defaults).")
    List<String> grid;

    @Option(names = "--methods", split = ",", paramLabel = "M,M,...",
            description = "Methods: etd, standard_dropout, fixed_mask, none (default: etd,standard_dropout,fixed_mask).")
    List<Method> methods = new ArrayList<>(D.methods());

    @Option(names = "--baseline-p", paramLabel = "P",
            description = "Drop probability of the baselines; default pGen of the first grid pair, as the reference code.")
    double baselineP = D.baselineDropProbability();

    @Option(names = "--epochs", paramLabel = "N",
            description = "Training epochs of each model; 0 = the run's (default: 0).")
    int epochs = D.epochs();

    @Override
    public Integer call() throws Exception {
        var given = spec.commandLine().getParseResult();
        if (given.hasMatchedOption("--baseline-p") && !methods.contains(Method.STANDARD_DROPOUT)
                && !methods.contains(Method.FIXED_MASK)) {
            throw new UsageException("--baseline-p applies to the baselines (standard_dropout, fixed_mask),"
                    + " and --methods " + methods + " runs none");
        }
        if (given.hasMatchedOption("--grid") && !methods.contains(Method.ETD)) {
            throw new UsageException("--grid applies to example-tied dropout (etd), and --methods " + methods
                    + " does not run it");
        }
        List<double[]> pairs = new ArrayList<>();
        for (String g : grid) {
            String[] p = g.split(":");
            if (p.length != 2) throw new UsageException("--grid entry '" + g + "' must be PGEN:PMEM, e.g. 0.2:0.1");
            double pGen, pMem;
            try {
                pGen = Double.parseDouble(p[0]);
                pMem = Double.parseDouble(p[1]);
            } catch (NumberFormatException e) {
                throw new UsageException("--grid entry '" + g + "' must be two numbers PGEN:PMEM, e.g. 0.2:0.1");
            }
            if (!(pGen > 0 && pGen <= 1) || !(pMem >= 0 && pMem <= 1)) {
                throw new UsageException("--grid entry '" + g + "': PGEN must be in (0, 1] and PMEM in [0, 1]");
            }
            pairs.add(new double[] {pGen, pMem});
        }
        execute(new ExampleTiedDropoutExperiment(), UsageException.validate(() -> new ExampleTiedDropoutExperiment.Settings(
                pairs, methods, baselineP, epochs, D.evalBatchSize())));
        return 0;
    }
}
