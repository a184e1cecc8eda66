package dev.engram.memorization.cli;

import dev.engram.memorization.experiment.ScoresAnalysis;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code engram scores --run DIR}: per-example scores from the training trajectories and their detection quality. */
@Command(name = "scores", mixinStandardHelpOptions = true,
        description = "Per-example scores (forgetting events, learning epoch, mean loss/margin) of a trained run and"
                + " how well each detects the noisy examples (AUROC, precision@#noisy).")
public final class ScoresCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Trained run folder.")
    Path run;

    @Override
    public Integer call() throws Exception {
        print(ScoresAnalysis.run(RunFolder.open(run)), spec.commandLine().getOut());
        return 0;
    }

    static void print(ScoresAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "%d examples (%d noisy), %d evaluated epochs%n", r.examples(), r.noisy(), r.epochs());
        out.println("score                      noisy-when   AUROC  precision@#noisy");
        for (ScoresAnalysis.Detection d : r.detections()) {
            out.printf(Locale.ROOT, "%-26s %-10s %7.4f %10.4f%n", d.score(), d.direction(), d.auroc(),
                    d.precisionAtNumNoisy());
        }
        out.flush();
    }
}
