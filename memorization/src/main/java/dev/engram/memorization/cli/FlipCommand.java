package dev.engram.memorization.cli;

import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;

/** {@code engram flip --run DIR}: greedy neuron flipping on a trained run (docs/methods.md §5), into {@code analyses/flipping/}. */
@Command(name = "flip", aliases = "flipping", mixinStandardHelpOptions = true,
        description = "Greedy neuron flipping (docs/methods.md §5): how many units must be zeroed to flip noisy vs clean training"
                + " examples, the accuracy left afterwards, the layers used, and mislabel-detection AUROC of -count"
                + " beside the loss and per-example gradient norm. Writes analyses/flipping/.")
public final class FlipCommand extends AnalysisCommand {
    private static final FlipAnalysis.Options D = FlipAnalysis.Options.DEFAULTS;
    private static final NeuronFlipping.Options S = D.search();

    @Option(names = "--checkpoint", paramLabel = "E",
            description = "Checkpoint epoch to analyse (default: chosen by --base).")
    int checkpoint = D.checkpoint();

    @Option(names = "--base", paramLabel = "RULE",
            description = "Model to flip when no --checkpoint is given: final (the final checkpoint; default) or"
                    + " first-fit (the first checkpoint with 100%% training accuracy w.r.t. the training labels, as the"
                    + " reference code flips a model trained until it fits; the final one if none fits).")
    String base = "final";

    @Option(names = "--reference-gradient", paramLabel = "MODE",
            description = "Activations: exact (recompute the other examples' gradient under the target's masks after"
                    + " every zeroing, the paper's criterion; default) or shared (computed once at the unedited model).")
    String referenceGradient = S.referenceGradient().name().toLowerCase(Locale.ROOT);

    @Option(names = "--noisy", paramLabel = "N", description = "Noisy targets (default: 100).")
    int noisy = D.noisyTargets();

    @Option(names = "--clean", paramLabel = "N", description = "Clean targets (default: 100).")
    int clean = D.cleanTargets();

    @Option(names = "--variant", paramLabel = "V",
            description = "activations (channels/neurons at the model's taps, batched; default) or weights (conv"
                    + " filters and single weights, as the reference code; one target at a time).")
    NeuronFlipping.Variant variant = S.variant();

    @Option(names = "--max-units", paramLabel = "N", description = "Cap on zeroed units per target (default: 50).")
    int maxUnits = S.maxUnits();

    @Option(names = "--targets-per-batch", paramLabel = "N",
            description = "Targets searched at once (activations; a finished target's place goes to the next one waiting;"
                    + " 1 = one at a time; default: 64).")
    int perBatch = S.targetsPerBatch();

    @Option(names = "--reference", paramLabel = "N",
            description = "Other training examples in the criterion's batch (default: 511).")
    int reference = S.referenceSize();

    @Option(names = "--copies", paramLabel = "K", description = "Noisy input copies (default: 5).")
    int copies = S.noisyCopies();

    @Option(names = "--noise-scale", paramLabel = "S", description = "Input noise relative to the RMS pixel (default: 0.01).")
    double noiseScale = S.noiseScale();

    @Option(names = "--eval-examples", paramLabel = "N",
            description = "Training examples on which the remaining accuracy is measured; 0 = skip (default: 1000).")
    int evalExamples = S.remainingEvalSize();

    @Option(names = "--seed", paramLabel = "S", description = "Seed of targets, reference batch and noise (default: 0).")
    long seed = S.seed();


    @Option(names = "--shard", paramLabel = "I/N", description = "Compute only shard I of N (a deterministic slice of"
            + " the targets, in whole batches) into analyses/flipping.shard-I-of-N/; `engram merge --run DIR --analysis flipping`"
            + " then combines the N shards into the result of an unsharded run.")
    String shard;

    @Override
    public Integer call() throws Exception {
        if (variant == NeuronFlipping.Variant.WEIGHTS && spec.commandLine().getParseResult().hasMatchedOption("--targets-per-batch")) {
            throw new UsageException("--targets-per-batch applies to --variant activations only; the weights"
                    + " variant searches one target at a time");
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--checkpoint") && checkpoint < 0) {
            throw new UsageException("--checkpoint must be an epoch >= 0, got " + checkpoint
                    + " (leave it out to flip the model --base chooses)");
        }
        if (noisy < 0) throw new UsageException("--noisy must be >= 0, got " + noisy);
        if (clean < 0) throw new UsageException("--clean must be >= 0, got " + clean);
        FlipAnalysis.Options options = UsageException.validate(() -> new FlipAnalysis.Options(checkpoint, noisy, clean,
                new NeuronFlipping.Options(variant, maxUnits, copies, noiseScale, reference, perBatch, evalExamples,
                        S.evalBatchSize(), seed, parseReferenceGradient(referenceGradient)), parseBase(base)));
        if (shard != null) {
            executeShard(new FlipAnalysis(), options, shard);
            return 0;
        }
        FlipAnalysis.Result r = execute(new FlipAnalysis(), options);
        FlipAnalysis.Summary all = r.summary();
        FlipAnalysis.Stats s = all.memorized();
        out().println(String.format(Locale.ROOT, "base model: checkpoint %d (%s)", r.base().epoch(), r.base().rule()));
        out().println(String.format(Locale.ROOT,
                "memorized targets (%d noisy, %d clean; not memorized: %d noisy, %d clean): flipped with < 10 units:"
                        + " noisy %.3f, clean %.3f; mean units noisy %.2f, clean %.2f; AUROC(-count) %.3f,"
                        + " AUROC(loss) %.3f, AUROC(grad norm) %.3f; clean accuracy left: after noisy flips %.4f, after clean"
                        + " flips %.4f (unedited %.4f); %.2f targets/s",
                s.noisyTargets(), s.cleanTargets(), all.noisyNotMemorized(), all.cleanNotMemorized(),
                s.noisyFlippedUnder10(), s.cleanFlippedUnder10(), s.meanCountNoisy(), s.meanCountClean(),
                s.aurocNegativeCount(), s.aurocLoss(), s.aurocGradientNorm(), s.remainingCleanNoisyFlips(),
                s.remainingCleanCleanFlips(), all.baselineRemainingClean(), all.targetsPerSecond()));
        FlipAnalysis.Stats a = all.allTargets();
        out().println(String.format(Locale.ROOT, "all targets (non-memorized counted as 0 units), for comparison: < 10"
                        + " units noisy %.3f, clean %.3f; AUROC(-count) %.3f", a.noisyFlippedUnder10(),
                a.cleanFlippedUnder10(), a.aurocNegativeCount()));
        out().flush();
        return 0;
    }

    /** {@code final} or {@code first-fit} (case-insensitive; {@code first_fit} too). */
    static FlipAnalysis.BaseModel parseBase(String s) {
        String v = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (FlipAnalysis.BaseModel b : FlipAnalysis.BaseModel.values()) if (b.name().equals(v)) return b;
        throw new IllegalArgumentException("unknown --base '" + s + "'; expected final or first-fit");
    }

    /** {@code exact} or {@code shared} (case-insensitive). */
    static NeuronFlipping.ReferenceGradient parseReferenceGradient(String s) {
        String v = s.trim().toUpperCase(Locale.ROOT);
        for (NeuronFlipping.ReferenceGradient r : NeuronFlipping.ReferenceGradient.values()) if (r.name().equals(v)) return r;
        throw new IllegalArgumentException("unknown --reference-gradient '" + s + "'; expected exact or shared");
    }
}
