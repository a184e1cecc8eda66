package dev.engram.bench;

import dev.engram.datasets.FetchOptions;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.engine.cpu.Sgemm;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.SystemInfo;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.nn.Module;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of greedy neuron flipping (activation variant, search only, no remaining-accuracy evaluation):
 * batched (many targets per forward/backward, finished targets replaced by waiting ones) against one target at a
 * time, on a trained run's final checkpoint. Both modes search the same targets, noisy and clean alternating, and
 * must agree on every target's units. After two untimed runs of each mode (JIT warm-up, on other targets), the modes
 * alternate for the given number of rounds, each round on a fresh search instance, so every timed run includes its
 * own pass for the unedited model's reference gradient and reuses nothing another run cached. Prints each run,
 * then the median and best throughput of each mode and their ratio.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.engram.bench.FlipBenchmark RUN_DIR [targets] [perBatch]
 *     [exact|shared] [rounds]</pre>
 * {@code targets}: how many targets, half noisy and half clean (default 128); the last argument but one is the
 * reference-gradient mode ({@code NeuronFlipping.ReferenceGradient}; default exact, the paper's criterion).
 */
public final class FlipBenchmark {
    private FlipBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/demo");
        int targets = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        NeuronFlipping.ReferenceGradient reference = args.length > 3
                ? NeuronFlipping.ReferenceGradient.valueOf(args[3].toUpperCase(Locale.ROOT)) : NeuronFlipping.ReferenceGradient.EXACT;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        if (targets < 2 || perBatch < 1 || rounds < 1) {
            throw new IllegalArgumentException("FlipBenchmark: need targets >= 2, perBatch >= 1, rounds >= 1; got "
                    + targets + ", " + perBatch + ", " + rounds);
        }
        CpuParallel.setThreads(Runtime.getRuntime().availableProcessors());
        RunData data = RunData.open(run, DataSource.catalog(FetchOptions.defaults()));
        RunFolder folder = data.run();
        Module model = data.modelAt(folder.config().epochs());
        NeuronFlipping.Options base = NeuronFlipping.Options.DEFAULTS.toBuilder().remainingEvalSize(0).seed(1)
                .referenceGradient(reference).build();
        NeuronFlipping.Options batchedOptions = base.toBuilder().targetsPerBatch(perBatch).build();
        NeuronFlipping.Options singleOptions = base.toBuilder().targetsPerBatch(1).build();
        int half = targets / 2;
        // twice the targets of each kind: the first half is timed, the second half only warms up the JIT; the
        // searches draw their reference batch from the other examples, as `engram flip` does
        int[] rows = FlipAnalysis.drawTargets(data.trainSet(), 2 * half, 2 * half, 1);
        if (rows.length != 4 * half) {
            throw new IllegalArgumentException("FlipBenchmark: " + run + " has fewer than " + 2 * half
                    + " noisy or clean examples; ask for fewer targets");
        }
        int noisy = 2 * half;
        int[] timed = interleave(Arrays.copyOfRange(rows, 0, half), Arrays.copyOfRange(rows, noisy, noisy + half));
        int[] warm = interleave(Arrays.copyOfRange(rows, half, noisy), Arrays.copyOfRange(rows, noisy + half, rows.length));
        System.out.printf(Locale.ROOT, "model %s, %s, %d cores, SGEMM kernel %s; K=%d copies, reference %d (%s gradient), cap %d; "
                        + "%d targets (%d noisy, %d clean), %d per batch, %d rounds%n", folder.config().model(), SystemInfo.cpuModel(),
                Runtime.getRuntime().availableProcessors(), Sgemm.kernelName(), base.noisyCopies(), base.referenceSize(),
                reference.name().toLowerCase(Locale.ROOT), base.maxUnits(), timed.length, half, half, perBatch, rounds);
        for (int w = 0; w < 2; w++) {
            NeuronFlipping.create(model, data.trainSet(), batchedOptions, rows).search(Arrays.copyOf(warm, Math.min(2 * perBatch, warm.length)));
            NeuronFlipping.create(model, data.trainSet(), singleOptions, rows).search(Arrays.copyOf(warm, Math.min(8, warm.length)));
        }
        List<Double> batched = new ArrayList<>(), single = new ArrayList<>();
        List<NeuronFlipping.Target> first = null;
        for (int r = 0; r < rounds; r++) {
            for (NeuronFlipping.Options o : List.of(batchedOptions, singleOptions)) {
                NeuronFlipping f = NeuronFlipping.create(model, data.trainSet(), o, rows);
                long t0 = System.nanoTime();
                List<NeuronFlipping.Target> res = f.search(timed);
                double secs = (System.nanoTime() - t0) * 1e-9;
                long steps = res.stream().mapToLong(t -> t.count() + 1).sum();
                (o == batchedOptions ? batched : single).add(timed.length / secs);
                System.out.printf(Locale.ROOT, "round %d %-15s %d targets (%d search steps in all) in %.3f s = %.2f targets/s%n",
                        r + 1, o == batchedOptions ? "batched:" : "one at a time:", timed.length, steps, secs, timed.length / secs);
                if (first == null) {
                    first = res;
                } else {
                    for (int i = 0; i < timed.length; i++) {
                        if (!res.get(i).units().equals(first.get(i).units())) {
                            throw new IllegalStateException("FlipBenchmark: target row " + timed[i] + " zeroed " + res.get(i).units()
                                    + " in one run and " + first.get(i).units() + " in another");
                        }
                    }
                }
            }
        }
        double mb = median(batched), ms = median(single);
        double bb = batched.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double bs = single.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        System.out.printf(Locale.ROOT, "batched: median %.2f, best %.2f targets/s; one at a time: median %.2f, best %.2f targets/s%n",
                mb, bb, ms, bs);
        System.out.printf(Locale.ROOT, "speed-up %.2fx by the medians, %.2fx by the best runs; identical units on all %d targets in all %d runs%n",
                mb / ms, bb / bs, timed.length, 2 * rounds);
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Noisy and clean rows alternated, so that any prefix has both kinds. */
    private static int[] interleave(int[] noisy, int[] clean) {
        int[] out = new int[noisy.length + clean.length];
        for (int i = 0, a = 0, b = 0; i < out.length; i++) out[i] = (i % 2 == 0 && a < noisy.length) || b >= clean.length ? noisy[a++] : clean[b++];
        return out;
    }
}
