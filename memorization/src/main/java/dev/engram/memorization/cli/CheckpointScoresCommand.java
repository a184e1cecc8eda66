package dev.engram.memorization.cli;

import dev.engram.memorization.scores.CheckpointScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code engram checkpoint-scores --run DIR}: VoG, loss/margin trajectories and forgetting events computed from the
 * run's per-epoch checkpoints, with their mislabel-detection AUROC; writes {@code analyses/checkpoint-scores/}.
 */
@Command(name = "checkpoint-scores", mixinStandardHelpOptions = true,
        description = "Per-example scores from the run's checkpoints: VoG (docs/methods.md §8.1) over early/middle/late/all"
                + " checkpoint windows, class-normalized and absolute, loss and margin trajectories,"
                + " forgetting events (docs/methods.md §8.12), each with its AUROC for finding the noisy examples."
                + " Writes analyses/checkpoint-scores/.")
public final class CheckpointScoresCommand extends AnalysisCommand {
    private static final CheckpointScores.Options D = CheckpointScores.Options.DEFAULTS;

    @Option(names = "--every", paramLabel = "K", description = "Use every K-th checkpoint (the last one always; default: 1).")
    int every = D.every();

    @Option(names = "--examples", paramLabel = "N",
            description = "Score only the first N training examples; 0 = all (default: 0).")
    int examples = D.examples();

    @Option(names = "--batch-size", paramLabel = "N", description = "Evaluation batch size (default: 500).")
    int batchSize = D.batchSize();

    @Option(names = "--forgetting", paramLabel = "DEF",
            description = "Forgetting events: toneva (Toneva et al. 2019: no epoch-0 checkpoint, never-learned examples"
                    + " rank as most forgettable; default) or all_rows (every checkpoint, never-learned = 0 events).")
    dev.engram.memorization.metrics.LearningEvents.Forgetting forgetting = D.forgetting();


    @Option(names = "--shard", paramLabel = "I/N", description = "Compute only shard I of N (a deterministic slice of"
            + " the examples, in whole batches) into analyses/checkpoint-scores.shard-I-of-N/; `engram merge --run DIR --analysis checkpoint-scores`"
            + " then combines the N shards into the result of an unsharded run.")
    String shard;

    @Override
    public Integer call() throws Exception {
        CheckpointScores.Options o = UsageException.validate(() -> new CheckpointScores.Options(every, examples, batchSize,
                forgetting));
        if (shard != null) {
            executeShard(new CheckpointScores(), o, shard);
            return 0;
        }
        execute(new CheckpointScores(), o);
        return 0;
    }
}
