package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.memorization.rewind.RewindingAnalysis;
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
 * {@code engram rewind --run DIR}: layer rewinding (spec §3) into {@code analyses/rewinding/}; also reachable as
 * {@code engram rewinding}, the analysis' folder name.
 */
@Command(name = "rewind", aliases = "rewinding", mixinStandardHelpOptions = true,
        description = {"Layer rewinding: replace one layer group of the final model by its value at an earlier"
                + " checkpoint and measure clean, noisy (memorization) and test accuracy, for every group and"
                + " checkpoint epoch. Writes analyses/rewinding/ of the run."})
public final class RewindCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Trained run folder (with noise).")
    Path run;

    @Option(names = "--epochs", paramLabel = "E,E,...", split = ",",
            description = "Checkpoint epochs to rewind to (default: 0, 10, 20, ... among the saved ones, plus the final"
                    + " epoch).")
    List<Integer> epochs;

    @Option(names = "--bn", paramLabel = "MODE", defaultValue = "keep-final",
            description = "BN running statistics of the rewound group: keep-final (the paper's code) or rewind"
                    + " (default: ${DEFAULT-VALUE}).")
    String bn;

    @Option(names = "--no-test", description = "Skip the test-set evaluation.")
    boolean noTest;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        RunFolder folder = RunFolder.open(run);
        RewindingAnalysis.Options o = RewindingAnalysis.Options.defaults().withEpochs(epochs)
                .withBnStats(LayerRewinding.BnStats.parse(bn)).withTestAccuracy(!noTest)
                .withFetch(FetchOptions.defaults().withOffline(offline))
                .withListener((e, g, done, total, c, n, t) -> {
                    out.printf(Locale.ROOT, "[%d/%d] epoch %3d  group %-14s clean %.4f  noisy %.4f  test %.4f%n",
                            done, total, e, g, c, n, t);
                    out.flush();
                });
        print(RewindingAnalysis.run(folder, o), out);
        out.println("written: " + folder.resultsFile("rewinding").getParent());
        out.flush();
        return 0;
    }

    static void print(RewindingAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "final model (epoch %d): clean %.4f  noisy %.4f  test %.4f%n", r.finalEpoch(),
                r.finalClean(), r.finalNoisy(), r.finalTest());
        for (String[] panel : new String[][] {{"clean"}, {"noisy"}}) {
            double[][] m = panel[0].equals("clean") ? r.cleanAccuracy() : r.noisyAccuracy();
            out.printf(Locale.ROOT, "%s-train accuracy after rewinding (rows: checkpoint epoch, columns: group)%n", panel[0]);
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
