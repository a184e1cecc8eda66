package dev.engram.memorization.cli;

import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.memorization.rewind.RewindingAnalysis;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * {@code engram rewind --run DIR}: layer rewinding (docs/methods.md §3) into {@code analyses/rewinding/}; also reachable as
 * {@code engram rewinding}, the analysis' folder name.
 */
@Command(name = "rewind", aliases = "rewinding", mixinStandardHelpOptions = true,
        description = {"Layer rewinding: replace one layer group of the final model by its value at an earlier"
                + " checkpoint and measure clean, noisy (memorization) and test accuracy, for every group and"
                + " checkpoint epoch. Writes analyses/rewinding/ of the run."})
public final class RewindCommand extends AnalysisCommand {
    @Option(names = "--checkpoints", paramLabel = "E,E,...", split = ",",
            description = "Checkpoint epochs to rewind to (default: 0, 10, 20, ... among the saved ones, plus the final"
                    + " epoch).")
    List<Integer> checkpoints;

    @Option(names = "--bn", paramLabel = "MODE", defaultValue = "keep-final",
            description = "BN running statistics of the rewound group: keep-final (the paper's code) or rewind"
                    + " (default: ${DEFAULT-VALUE}).")
    String bn;

    @Option(names = "--no-test", description = "Skip the test-set evaluation.")
    boolean noTest;

    @Override
    public Integer call() throws Exception {
        RewindingAnalysis.Options o = UsageException.validate(() -> new RewindingAnalysis.Options(checkpoints,
                LayerRewinding.BnStats.parse(bn), !noTest));
        print(execute(new RewindingAnalysis(), o), out());
        return 0;
    }

    static void print(RewindingAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "final model (epoch %d): clean %.4f  noisy %.4f  test %.4f%n", r.finalEpoch(),
                r.finalClean(), r.finalNoisy(), r.finalTest());
        for (String panel : new String[] {"clean", "noisy"}) {
            double[][] m = panel.equals("clean") ? r.cleanAccuracy() : r.noisyAccuracy();
            out.printf(Locale.ROOT, "%s-train accuracy after rewinding (rows: checkpoint epoch, columns: group)%n", panel);
            StringBuilder h = new StringBuilder("epoch");
            for (String g : r.groups()) h.append(String.format(Locale.ROOT, " %9s", g.length() > 9 ? g.substring(0, 9) : g));
            out.println(h);
            for (int ti = 0; ti < r.epochs().size(); ti++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%5d", r.epochs().get(ti)));
                for (double v : m[ti]) row.append(String.format(Locale.ROOT, " %9.4f", v));
                out.println(row);
            }
        }
        out.flush();
    }
}
