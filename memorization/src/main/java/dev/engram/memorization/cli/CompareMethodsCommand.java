package dev.engram.memorization.cli;

import dev.engram.memorization.compare.MethodComparison;
import dev.engram.memorization.data.RunData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code engram compare-methods --run DIR}: trains models of the run with each training method against memorization
 * (docs/methods.md §10) over several seeds on the run's noisy labels and writes {@code analyses/compare-methods/}.
 */
@Command(name = "compare-methods", mixinStandardHelpOptions = true,
        description = "Training methods against memorization compared (docs/methods.md §10.7): plain training, symmetric"
                + " cross-entropy, SAM, JoCoR, RHO-LOSS selection, dropout, layer re-initialization and example-tied"
                + " dropout, each trained on the run's noisy labels for several seeds; noisy-train accuracy"
                + " (memorization) against clean-train and test accuracy, mean and std over seeds."
                + " Writes analyses/compare-methods/.")
public final class CompareMethodsCommand extends AnalysisCommand {
    @Option(names = "--methods", split = ",", paramLabel = "M,M,...", description = "Methods to train: standard, sce,"
            + " sam, jocor, rho-loss, dropout, reinit (default: all that apply to the model).")
    List<String> methods;

    @Option(names = "--seeds", split = ",", paramLabel = "S,S,...", description = "Seeds (default: the run's seed and the"
            + " next two).")
    List<Long> seeds;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs of each model; 0 = the run's (default: 0).")
    int epochs;

    @Option(names = "--no-etd", description = "Leave example-tied dropout out.")
    boolean noEtd;

    @Option(names = "--etd", paramLabel = "PGEN:PMEM", description = "Example-tied dropout's probabilities (default: 0.2:0.1,"
            + " the reference code's).")
    String etd = "0.2:0.1";

    @Option(names = "--rho-factor", paramLabel = "K", description = "RHO-LOSS keeps one batch of every K (default: 10, the"
            + " paper's 10%%).")
    int rhoFactor = 10;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout probability of the dropout method (default: 0.5).")
    double dropout = 0.5;

    @Override
    public Integer call() throws Exception {
        String[] p = etd.split(":");
        double pGen, pMem;
        try {
            if (p.length != 2) throw new NumberFormatException();
            pGen = Double.parseDouble(p[0]);
            pMem = Double.parseDouble(p[1]);
        } catch (NumberFormatException e) {
            throw new UsageException("--etd '" + etd + "' must be PGEN:PMEM, e.g. 0.2:0.1");
        }
        runtime.apply();
        RunData data = open(run, offline, out());
        int ep = epochs > 0 ? epochs : data.config().epochs();
        List<MethodComparison.Entry> all = MethodComparison.standardSet(data.config(), data.newModel(), ep, rhoFactor, dropout);
        List<MethodComparison.Entry> chosen = new ArrayList<>();
        if (methods == null) {
            chosen.addAll(all);
        } else {
            for (String m : methods) {
                String name = m.trim().toLowerCase(java.util.Locale.ROOT);
                MethodComparison.Entry e = all.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() ->
                        new UsageException("--methods: unknown or inapplicable method '" + m + "' for "
                                + data.config().model() + " over " + ep + " epochs; available: "
                                + all.stream().map(MethodComparison.Entry::name).toList()));
                chosen.add(e);
            }
        }
        long s0 = data.config().seed();
        execute(new MethodComparison(), UsageException.validate(() -> new MethodComparison.Options(chosen,
                seeds != null ? seeds : List.of(s0, s0 + 1, s0 + 2), epochs, !noEtd, pGen, pMem, RunData.EVAL_BATCH)));
        return 0;
    }
}
