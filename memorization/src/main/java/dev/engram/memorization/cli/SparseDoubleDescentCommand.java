package dev.engram.memorization.cli;

import dev.engram.memorization.data.RunData;
import dev.engram.memorization.prune.SparseDoubleDescent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * {@code engram sparse-double-descent --run DIR}: iterative global magnitude pruning of the run's final model with
 * retraining per sparsity level (docs/methods.md §10.8) and writes {@code analyses/sparse-double-descent/}.
 */
@Command(name = "sparse-double-descent", mixinStandardHelpOptions = true,
        description = "Sparse double descent (He et al., ICML 2022; docs/methods.md §10.8): the run's final model is pruned"
                + " globally by weight magnitude (linear and convolution weights) to increasing sparsity, each level from"
                + " the previous one, and retrained on the run's noisy labels with the pruned weights held at zero; test,"
                + " noisy-train and clean-train accuracy and the learning distance ||theta - theta_init|| per level."
                + " An interrupted run continues from its last finished level when started again with the same options."
                + " Writes analyses/sparse-double-descent/.")
public final class SparseDoubleDescentCommand extends AnalysisCommand {
    @Option(names = "--sparsities", split = ",", paramLabel = "S,S,...", description = "Target sparsities, increasing, each"
            + " in (0, 1) (instead of --prune-fraction and --rounds).")
    List<Double> sparsities;

    @Option(names = "--prune-fraction", paramLabel = "F", description = "Fraction of the remaining weights each round prunes"
            + " (default: 0.2, He et al.'s).")
    Double pruneFraction;

    @Option(names = "--rounds", paramLabel = "N", description = "Pruning rounds (default: 10, sparsity 89.3%%).")
    Integer rounds;

    @Option(names = "--retrain-epochs", paramLabel = "E", description = "Retraining epochs per level; 0 = the run's"
            + " (default: 0).")
    int retrainEpochs;

    @Option(names = "--rewind", paramLabel = "init|epoch:K|none", description = "Where the kept weights start each"
            + " retraining: init = the run's initial weights (lottery-ticket rewinding, He et al.'s setting), epoch:K ="
            + " the run's epoch-K weights, none = the previous level's weights (learning-rate rewinding) (default: init).")
    String rewind = "init";

    @Override
    public Integer call() throws Exception {
        if (sparsities != null && (pruneFraction != null || rounds != null)) {
            throw new UsageException("give either --sparsities or --prune-fraction/--rounds, not both");
        }
        execute(new SparseDoubleDescent(), UsageException.validate(() -> new SparseDoubleDescent.Options(
                sparsities != null ? sparsities : SparseDoubleDescent.Options.rounds(pruneFraction != null ? pruneFraction
                        : 0.2, rounds != null ? rounds : 10), retrainEpochs, SparseDoubleDescent.Options.parseRewind(rewind),
                RunData.EVAL_BATCH)));
        return 0;
    }
}
