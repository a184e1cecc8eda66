package dev.engram.memorization.cli;

import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.scores.ScoresAnalysis;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Locale;

/** {@code engram scores --run DIR}: per-example scores from the training trajectories and their detection quality. */
@Command(name = "scores", mixinStandardHelpOptions = true,
        description = "Per-example scores (forgetting events, learning epoch, mean loss/margin) of a trained run and"
                + " how well each detects the noisy examples (AUROC, precision@#noisy). Writes analyses/scores/.")
public final class ScoresCommand extends AnalysisCommand {
    @Override
    public Integer call() throws Exception {
        print(execute(new ScoresAnalysis(), ScoresAnalysis.Options.DEFAULTS), out());
        return 0;
    }

    static void print(ScoresAnalysis.Result r, PrintWriter out) {
        out.printf(Locale.ROOT, "%d examples (%d noisy), %d evaluated epochs%n", r.examples(), r.noisy(), r.epochs());
        out.println("score                      noisy-when   AUROC  precision@#noisy");
        for (Detection d : r.detections()) {
            out.printf(Locale.ROOT, "%-26s %-10s %7.4f %10.4f%n", d.score(), d.direction(), d.auroc(),
                    d.precisionAtNumNoisy());
        }
        out.flush();
    }
}
