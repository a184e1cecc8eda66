package dev.engram.bench;

import dev.engram.datasets.FetchOptions;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.nn.Module;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of greedy neuron flipping (activation variant, search only, no remaining-accuracy evaluation):
 * batched (many targets per forward/backward) against one target at a time, on a trained run's final checkpoint.
 * Each mode is first warmed up (JIT) on its own instance and targets, then timed on a fresh instance, so neither
 * timed run reuses reference gradients the other cached; each timed run includes its one pass of the unedited
 * model's reference gradient. The two modes search the same targets (the single mode a prefix of the batched
 * mode's list) and must agree on counts and units.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.engram.bench.FlipBenchmark RUN_DIR [targets] [perBatch]
 *     [singleTargets] [exact|shared]</pre>
 * The last argument is the reference-gradient mode ({@code NeuronFlipping.ReferenceGradient}; default exact, the
 * paper's criterion).
 */
public final class FlipBenchmark {
    private FlipBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/demo");
        int targets = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int singles = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        NeuronFlipping.ReferenceGradient reference = args.length > 4
                ? NeuronFlipping.ReferenceGradient.valueOf(args[4].toUpperCase(Locale.ROOT)) : NeuronFlipping.ReferenceGradient.EXACT;
        CpuParallel.setThreads(Runtime.getRuntime().availableProcessors());
        RunData data = RunData.open(run, DataSource.catalog(FetchOptions.defaults()));
        RunFolder folder = data.run();
        Module model = data.modelAt(folder.config().epochs());
        NeuronFlipping.Options base = NeuronFlipping.Options.DEFAULTS.toBuilder().remainingEvalSize(0).seed(1)
                .referenceGradient(reference).build();
        NeuronFlipping.Options batchedOptions = base.toBuilder().targetsPerBatch(perBatch).build();
        NeuronFlipping.Options singleOptions = base.toBuilder().targetsPerBatch(1).build();
        // twice the targets: the first half is timed, the second half only warms up the JIT
        NeuronFlipping draw = NeuronFlipping.create(model, data.trainSet(), batchedOptions);
        int[] rows = FlipAnalysis.drawTargets(draw, data.trainSet(), targets, targets, 1);
        int[] mixed = interleave(Arrays.copyOfRange(rows, 0, targets / 2), Arrays.copyOfRange(rows, targets, targets + targets / 2));
        int[] warm = interleave(Arrays.copyOfRange(rows, targets / 2, targets), Arrays.copyOfRange(rows, targets + targets / 2, 2 * targets));
        int[] few = Arrays.copyOf(mixed, singles);
        NeuronFlipping.create(model, data.trainSet(), batchedOptions).search(Arrays.copyOf(warm, Math.min(perBatch, warm.length)));
        NeuronFlipping.create(model, data.trainSet(), singleOptions).search(Arrays.copyOf(warm, Math.min(4, warm.length)));
        NeuronFlipping batched = NeuronFlipping.create(model, data.trainSet(), batchedOptions);
        long t0 = System.nanoTime();
        List<NeuronFlipping.Target> rb = batched.search(mixed);
        double sb = (System.nanoTime() - t0) * 1e-9;
        NeuronFlipping single = NeuronFlipping.create(model, data.trainSet(), singleOptions);
        t0 = System.nanoTime();
        List<NeuronFlipping.Target> rs = single.search(few);
        double ss = (System.nanoTime() - t0) * 1e-9;
        int same = 0;
        for (int i = 0; i < few.length; i++) if (rb.get(i).count() == rs.get(i).count() && rb.get(i).units().equals(rs.get(i).units())) same++;
        double thrB = mixed.length / sb, thrS = few.length / ss;
        System.out.printf(Locale.ROOT, "model %s, %d cores, K=%d copies, reference %d (%s gradient), cap %d%n", folder.config().model(),
                Runtime.getRuntime().availableProcessors(), base.noisyCopies(), base.referenceSize(),
                reference.name().toLowerCase(Locale.ROOT), base.maxUnits());
        System.out.printf(Locale.ROOT, "batched (%d per batch): %d targets in %.2f s = %.2f targets/s%n", perBatch, mixed.length, sb, thrB);
        System.out.printf(Locale.ROOT, "one at a time:          %d targets in %.2f s = %.2f targets/s%n", few.length, ss, thrS);
        System.out.printf(Locale.ROOT, "speed-up %.1fx; identical counts and units on %d/%d common targets%n", thrB / thrS, same, few.length);
    }

    /** Noisy and clean rows alternated, so that any prefix has both kinds. */
    private static int[] interleave(int[] noisy, int[] clean) {
        int[] out = new int[noisy.length + clean.length];
        for (int i = 0, a = 0, b = 0; i < out.length; i++) out[i] = (i % 2 == 0 && a < noisy.length) || b >= clean.length ? noisy[a++] : clean[b++];
        return out;
    }
}
