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
    @picocli.CommandLine.Option(names = "--forgetting", paramLabel = "DEF",
            description = "Forgetting events: toneva (Toneva et al. 2019: no epoch-0 row, never-learned examples rank"
                    + " as most forgettable; default) or all_rows (every row incl. epoch 0, never-learned = 0 events).")
    dev.engram.memorization.metrics.LearningEvents.Forgetting forgetting = ScoresAnalysis.Options.DEFAULTS.forgetting();

    @Override
    public Integer call() throws Exception {
        print(execute(new ScoresAnalysis(), UsageException.validate(() -> new ScoresAnalysis.Options(forgetting))), out());
        return 0;
    }

    static void print(ScoresAnalysis.Result r, PrintWriter out) {
        long never = java.util.stream.IntStream.range(0, r.examples()).filter(i -> r.neverLearned()[i]).count();
        out.printf(Locale.ROOT, "%d examples (%d noisy), %d evaluated epochs; forgetting events: %s (%d never learned)%n",
                r.examples(), r.noisy(), r.epochs(), r.forgetting().name().toLowerCase(Locale.ROOT), never);
        dev.engram.memorization.scores.Detections.print(r.detections(), out);
    }
}
