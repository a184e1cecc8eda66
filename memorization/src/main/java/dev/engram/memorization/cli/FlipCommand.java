package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.scores.RunInputs;
import dev.engram.nn.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code engram flip --run DIR}: greedy neuron flipping on a trained run (spec §5), into {@code analyses/flipping/}. */
@Command(name = "flip", mixinStandardHelpOptions = true,
        description = "Greedy neuron flipping (spec §5): how many units must be zeroed to flip noisy vs clean training"
                + " examples, the accuracy left afterwards, the layers used, and mislabel-detection AUROC of -count"
                + " beside the loss and per-example gradient norm. Writes analyses/flipping/.")
public final class FlipCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Run folder with a trained model.")
    Path run;

    @Option(names = "--epoch", paramLabel = "E", defaultValue = "-1",
            description = "Checkpoint to analyse (default: the final epoch).")
    int epoch;

    @Option(names = "--noisy", paramLabel = "N", defaultValue = "100", description = "Noisy targets (default: ${DEFAULT-VALUE}).")
    int noisy;

    @Option(names = "--clean", paramLabel = "N", defaultValue = "100", description = "Clean targets (default: ${DEFAULT-VALUE}).")
    int clean;

    @Option(names = "--variant", paramLabel = "V", defaultValue = "ACTIVATIONS",
            description = "ACTIVATIONS (channels/neurons at the model's taps, batched; default) or WEIGHTS (conv"
                    + " filters and single weights, as the reference code; one target at a time).")
    NeuronFlipping.Variant variant;

    @Option(names = "--max-units", paramLabel = "N", defaultValue = "50", description = "Cap on zeroed units per target (default: ${DEFAULT-VALUE}).")
    int maxUnits;

    @Option(names = "--targets-per-batch", paramLabel = "N", defaultValue = "64",
            description = "Targets searched at once (ACTIVATIONS; 1 = one at a time; default: ${DEFAULT-VALUE}).")
    int perBatch;

    @Option(names = "--reference", paramLabel = "N", defaultValue = "511",
            description = "Other training examples in the criterion's batch (default: ${DEFAULT-VALUE}).")
    int reference;

    @Option(names = "--copies", paramLabel = "K", defaultValue = "5", description = "Noisy input copies (default: ${DEFAULT-VALUE}).")
    int copies;

    @Option(names = "--noise-scale", paramLabel = "S", defaultValue = "0.01", description = "Input noise relative to the RMS pixel (default: ${DEFAULT-VALUE}).")
    double noiseScale;

    @Option(names = "--eval-examples", paramLabel = "N", defaultValue = "1000",
            description = "Training examples on which the remaining accuracy is measured; 0 = skip (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of targets, reference batch and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        RunFolder folder = RunFolder.open(run);
        folder.requireNoisy("Neuron flipping");
        RunInputs.Data data = RunInputs.load(folder, FetchOptions.defaults());
        Path ckpt = epoch < 0 ? folder.requireFinalCheckpoint() : folder.requireCheckpoint(epoch);
        Module model = RunInputs.loadModel(folder, data.train(), ckpt);
        NeuronFlipping.Options o = new NeuronFlipping.Options(variant, maxUnits, copies, noiseScale, reference, perBatch,
                evalExamples, 256, seed);
        FlipAnalysis.Result r = FlipAnalysis.run(model, data.train(), o, noisy, clean, line -> {
            out.println(line);
            out.flush();
        });
        Path dir = folder.analysisDir(AnalysisKind.FLIPPING.dirName());
        FlipAnalysis.write(r, dir);
        FlipAnalysis.Summary s = r.summary();
        out.println(String.format(Locale.ROOT,
                "flipped with < 10 units: noisy %.3f, clean %.3f; mean units noisy %.2f, clean %.2f; AUROC(-count) %.3f,"
                        + " AUROC(loss) %.3f, AUROC(grad norm) %.3f; clean accuracy left: after noisy flips %.4f, after clean"
                        + " flips %.4f (unedited %.4f); %.2f targets/s",
                s.noisyFlippedUnder10(), s.cleanFlippedUnder10(), s.meanCountNoisy(), s.meanCountClean(),
                s.aurocNegativeCount(), s.aurocLoss(), s.aurocGradientNorm(), s.remainingCleanNoisyFlips(),
                s.remainingCleanCleanFlips(), s.baselineRemainingClean(), s.targetsPerSecond()));
        out.println("wrote " + dir);
        out.flush();
        return 0;
    }
}
