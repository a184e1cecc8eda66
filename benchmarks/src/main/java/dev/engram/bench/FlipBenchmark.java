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
 * Plain main with JMH's discipline: a warm-up round of each mode, then timed rounds; the two modes search the same
 * targets for the counts to be compared.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.engram.bench.FlipBenchmark RUN_DIR [targets] [perBatch] [singleTargets]</pre>
 */
public final class FlipBenchmark {
    private FlipBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/demo");
        int targets = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int singles = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        CpuParallel.setThreads(Runtime.getRuntime().availableProcessors());
        RunData data = RunData.open(run, DataSource.catalog(FetchOptions.defaults()));
        RunFolder folder = data.run();
        Module model = data.modelAt(folder.config().epochs());
        NeuronFlipping.Options base = NeuronFlipping.Options.DEFAULTS.toBuilder().remainingEvalSize(0).seed(1).build();
        NeuronFlipping batched = NeuronFlipping.create(model, data.trainSet(), base.toBuilder().targetsPerBatch(perBatch).build());
        NeuronFlipping single = NeuronFlipping.create(model, data.trainSet(), base.toBuilder().targetsPerBatch(1).build());
        int[] rows = FlipAnalysis.drawTargets(batched, data.trainSet(), targets / 2, targets - targets / 2, 1);
        // interleave noisy and clean so that any prefix has both kinds
        int[] mixed = new int[rows.length];
        int h = targets / 2;
        for (int i = 0, a = 0, b = h; i < rows.length; i++) mixed[i] = (i % 2 == 0 && a < h) || b >= rows.length ? rows[a++] : rows[b++];
        int[] few = Arrays.copyOf(mixed, singles);
        // warm-up: batched() computes and caches its reference gradient, single() too
        batched.search(Arrays.copyOf(mixed, Math.min(perBatch, mixed.length)));
        single.search(Arrays.copyOf(mixed, 2));
        long t0 = System.nanoTime();
        List<NeuronFlipping.Target> rb = batched.search(mixed);
        double sb = (System.nanoTime() - t0) * 1e-9;
        t0 = System.nanoTime();
        List<NeuronFlipping.Target> rs = single.search(few);
        double ss = (System.nanoTime() - t0) * 1e-9;
        int same = 0;
        for (int i = 0; i < few.length; i++) if (rb.get(i).count() == rs.get(i).count() && rb.get(i).units().equals(rs.get(i).units())) same++;
        double thrB = mixed.length / sb, thrS = few.length / ss;
        System.out.printf(Locale.ROOT, "model %s, %d cores, K=%d copies, reference %d, cap %d%n", folder.config().model(),
                Runtime.getRuntime().availableProcessors(), base.noisyCopies(), base.referenceSize(), base.maxUnits());
        System.out.printf(Locale.ROOT, "batched (%d per batch): %d targets in %.2f s = %.2f targets/s%n", perBatch, mixed.length, sb, thrB);
        System.out.printf(Locale.ROOT, "one at a time:          %d targets in %.2f s = %.2f targets/s%n", few.length, ss, thrS);
        System.out.printf(Locale.ROOT, "speed-up %.1fx; identical counts and units on %d/%d common targets%n", thrB / thrS, same, few.length);
    }
}
