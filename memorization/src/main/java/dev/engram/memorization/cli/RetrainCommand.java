package dev.engram.memorization.cli;

import dev.engram.memorization.retrain.LayerRetraining;
import dev.engram.memorization.retrain.RetrainingAnalysis;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * {@code engram retrain --run DIR}: layer retraining (docs/methods.md §4) into {@code analyses/retraining/}; also reachable as
 * {@code engram retraining}, the analysis' folder name.
 */
@Command(name = "retrain", aliases = "retraining", mixinStandardHelpOptions = true,
        description = {"Layer retraining: reset one layer group of the final model to its initial values, retrain it"
                + " on the clean examples only (other groups frozen) and track accuracy on the noisy examples, for"
                + " every group. Writes analyses/retraining/ of the run."})
public final class RetrainCommand extends AnalysisCommand {
    private static final RetrainingAnalysis.Options D = RetrainingAnalysis.Options.DEFAULTS;

    @Option(names = "--epochs", paramLabel = "N",
            description = "Retraining epochs per group; the one-cycle schedule peaks half-way (default: 20).")
    int epochs = D.epochs();

    @Option(names = "--settings", paramLabel = "PRESET", defaultValue = "run",
            description = "Optimizer settings: run (the run's own peak lr, momentum and weight decay), paper (lr 0.1,"
                    + " momentum 0.9, wd 5e-4) or code (the reference code's lr 0.01, momentum 0.9, wd 5e-4)"
                    + " (default: ${DEFAULT-VALUE}).")
    String settings;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate, overriding the preset's.")
    Double lr;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum, overriding the preset's.")
    Double momentum;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay, overriding the preset's.")
    Double weightDecay;

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

    @Option(names = "--early-stop", paramLabel = "K",
            description = "Stop after K (cumulative) epochs at 100%% training accuracy; 0 = never (default: 3).")
    int earlyStop = D.earlyStopEpochs();

    @Option(names = "--batch-size", paramLabel = "N", description = "Unfiltered batch size; 0 = the run's (default: 0).")
    int batchSize = D.batchSize();

    @Override
    public Integer call() throws Exception {
        RetrainingAnalysis.Options o = UsageException.validate(() -> new RetrainingAnalysis.Options(epochs,
                RetrainingAnalysis.Preset.parse(settings), lr == null ? Double.NaN : lr,
                momentum == null ? Double.NaN : momentum, weightDecay == null ? Double.NaN : weightDecay, groups,
                trainAll, LayerRetraining.BnStats.parse(bn), earlyStop, batchSize));
        print(execute(new RetrainingAnalysis(), o), out());
        return 0;
    }

    static void print(RetrainingAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "settings (%s): peak lr %s, momentum %s, weight decay %s%n", r.settingsSource(),
                r.settings().peakLr(), r.settings().momentum(), r.settings().weightDecay());
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
