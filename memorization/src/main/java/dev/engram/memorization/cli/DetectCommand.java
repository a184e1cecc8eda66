package dev.engram.memorization.cli;

import dev.engram.memorization.detect.DetectionLeaderboard;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code engram detect --run DIR}: every per-example score of the run's training examples compared as a detector of
 * the mislabeled examples in one leaderboard; writes {@code analyses/detect/}.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Mislabel-detection leaderboard: every per-example score (loss/margin trajectories, forgetting"
                + " events, complexity gap, VoG, TracIn self-influence, Arnoldi influence, RHO-LOSS irreducible loss, turn-over dropout self-influence)"
                + " with its AUROC, precision at the number of noisy examples, direction, wall time and what it"
                + " needed. Writes analyses/detect/.")
public final class DetectCommand extends AnalysisCommand {
    private static final DetectionLeaderboard.Options D = DetectionLeaderboard.Options.DEFAULTS;

    @Option(names = "--no-checkpoints", description = "Leave out the scores computed from checkpoints (VoG, TracIn, Arnoldi, RHO-LOSS).")
    boolean noCheckpoints;

    @Option(names = "--no-extra-training", description = "Leave out the scores that train extra models (RHO-LOSS, turn-over dropout).")
    boolean noExtraTraining;

    @Option(names = "--extra-epochs", paramLabel = "N", description = "Epochs of each extra training; 0 = the run's (default: 0).")
    int extraEpochs = D.extraEpochs();

    @Option(names = "--batch-size", paramLabel = "N", description = "Evaluation and gradient batch size (default: 500).")
    int batchSize = D.batchSize();

    @Option(names = "--complexity-gap-chunk", paramLabel = "N",
            description = "Largest Gram matrix of the complexity-gap score (N x N doubles): a class with more than N/2"
                    + " examples is scored in parts; 0 = leave it out (default: 1000).")
    int complexityGapChunk = D.complexityGapChunk();

    @Option(names = "--test-examples", paramLabel = "N",
            description = "Write the top turn-over dropout proponents and opponents of the first N test examples"
                    + " (default: 5).")
    int testExamples = D.testExamples();

    @Option(names = "--arnoldi-iterations", paramLabel = "N",
            description = "Hessian-vector products of the Arnoldi influence (top 10 eigenpairs, at most N/2); 0 = leave"
                    + " it out (default: 30).")
    int arnoldiIterations = D.arnoldiIterations();

    @Override
    public Integer call() throws Exception {
        execute(new DetectionLeaderboard(), UsageException.validate(() -> new DetectionLeaderboard.Options(!noCheckpoints,
                !noExtraTraining, extraEpochs, batchSize, complexityGapChunk, testExamples, arnoldiIterations)));
        return 0;
    }
}
