package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.retrain.LayerRetraining;
import dev.engram.memorization.retrain.RetrainingAnalysis;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code engram retrain --run DIR}: layer retraining (spec §4) into {@code analyses/retraining/}; also reachable as
 * {@code engram retraining}, the analysis' folder name.
 */
@Command(name = "retrain", aliases = "retraining", mixinStandardHelpOptions = true,
        description = {"Layer retraining: reset one layer group of the final model to its initial values, retrain it"
                + " on the clean examples only (other groups frozen) and track accuracy on the noisy examples, for"
                + " every group. Writes analyses/retraining/ of the run."})
public final class RetrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Trained run folder (with noise).")
    Path run;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "20",
            description = "Retraining epochs per group; the one-cycle schedule peaks half-way (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--peak-lr", paramLabel = "LR", defaultValue = "0.1",
            description = "Peak learning rate: 0.1 as in the paper, 0.01 as in its code (default: ${DEFAULT-VALUE}).")
    double peakLr;

    @Option(names = "--groups", paramLabel = "G,G,...", split = ",",
            description = "Layer groups to retrain, by name or index (default: all).")
    List<String> groups;

    @Option(names = "--train-all",
            description = "Train every layer group, not only the reset one (what the paper's code effectively does).")
    boolean trainAll;

    @Option(names = "--bn", paramLabel = "MODE", defaultValue = "update",
            description = "BN running statistics of the frozen groups: update (the code's behaviour) or freeze"
                    + " (default: ${DEFAULT-VALUE}).")
    String bn;

    @Option(names = "--early-stop", paramLabel = "K", defaultValue = "3",
            description = "Stop after K (cumulative) epochs at 100%% training accuracy; 0 = never (default: ${DEFAULT-VALUE}).")
    int earlyStop;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "0",
            description = "Unfiltered batch size; 0 = the run's (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        RunFolder folder = RunFolder.open(run);
        RetrainingAnalysis.Options o = RetrainingAnalysis.Options.defaults().withEpochs(epochs).withPeakLr(peakLr)
                .withGroups(groups).withTrainAll(trainAll).withBnStats(LayerRetraining.BnStats.parse(bn))
                .withEarlyStopEpochs(earlyStop).withBatchSize(batchSize)
                .withFetch(FetchOptions.defaults().withOffline(offline))
                .withListener((g, e, c, n, t) -> {
                    out.printf(Locale.ROOT, "group %-14s epoch %3d  clean %.4f  noisy %.4f%s%n", g, e, c, n,
                            Double.isNaN(t) ? "  (after the reset)" : String.format(Locale.ROOT, "  retraining-batch acc %.4f", t));
                    out.flush();
                });
        print(RetrainingAnalysis.run(folder, o), out);
        out.println("written: " + folder.resultsFile("retraining").getParent());
        out.flush();
        return 0;
    }

    static void print(RetrainingAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "final model: clean %.4f  noisy %.4f%n", r.finalClean(), r.finalNoisy());
        out.println("group            after reset (clean/noisy)   after retraining (clean/noisy)   epochs");
        for (LayerRetraining.Curve c : r.curves()) {
            out.printf(Locale.ROOT, "%-16s %10.4f %10.4f        %10.4f %10.4f        %3d%s%n", c.group(),
                    c.cleanAccuracy()[0], c.noisyAccuracy()[0], c.finalClean(), c.finalNoisy(), c.epochsRun(),
                    c.stoppedEarly() ? " (early stop)" : "");
        }
        out.flush();
    }
}
