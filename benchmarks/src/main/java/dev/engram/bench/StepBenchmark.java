package dev.engram.bench;

import dev.engram.engine.Backends;
import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.PerExampleOptions;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.engine.cpu.CpuMemory;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.engine.cpu.Sgemm;
import dev.engram.engine.cuda.CudaBackend;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.models.ResNet9;
import dev.engram.nn.models.ResNet9Dawn;
import dev.engram.nn.models.SmallCnn;
import dev.engram.nn.optim.Sgd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Side-by-side harness: the same workloads and timing discipline as the DJL + libtorch peer
 * {@code dev.engram.bench.peer.DjlStepBenchmark} (profile {@code -Ppeer}; warm-up at least 5 steps and 3 s,
 * then at least 10 steps and 2 s; median and min per step). One training step = forward, mean cross-entropy, backward,
 * plain SGD (lr 0.01, no momentum), as the peer does, inside a tensor scope.
 *
 * <p>Workloads: {@code sgemm} 1024^3, {@code sgemm_kernel} its micro-kernel alone with the operands in cache (on one
 * thread and on all threads at once: the ceiling of {@code sgemm}), {@code gemms} the forward GEMM shapes of the MLP and of
 * ResNet-9's convs (each also reported in GFLOP per CPU-second), {@code mlp} 784-512-512-10 b128, {@code cnn} the MNIST CNN
 * b128, {@code resnet9} Page's DAWNBench ResNet-9 b64 (the peer's layout), {@code resnet9paper}
 * the paper's ResNet-9 b64, and the per-example variants {@code mlp_norms}, {@code mlp_pergrad},
 * {@code resnet9paper_norms} (per-example squared norms or full per-example gradients collected
 * during the same step), and {@code copybw}, the copy ({@code System.arraycopy}) and write-only
 * ({@code Arrays.fill}) bandwidth of one thread on a 256 MB float array. When {@code mlp},
 * {@code mlp_pergrad} and {@code copybw} ran in one invocation it prints the bound the per-example
 * gradients are measured against (plain MLP step + writing B x |theta| floats at the measured write
 * bandwidth) and the ratio to it; with {@code mlp} and {@code mlp_norms}, the norms overhead. Output
 * ends with machine-readable lines {@code RESULT name median_ms min_ms gflop max_ms}.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.engram.bench.StepBenchmark [--threads 2] [--only mlp,cnn] [--ordered] [--pe-budget-mb 64] [--rounds 2]
 * [--device cuda:0] [--batch 512]}
 * ({@code --ordered}: run the {@code --only} workloads in the order named, e.g. {@code resnet9,cnn}). Each
 * training workload also prints the peak tensor memory of a step above the parameters ({@code CpuMemory})
 * and, per step over all threads, the Java heap allocated, the CPU time and the minor page faults:
 * numbers a loaded machine disturbs much less than wall-clock time.
 *
 * <p>{@code --device cuda:0} runs the training workloads on that device (model, data and step; each step ends
 * reading the loss back, so its time covers the device's work) and prints the caching allocator's counters instead of
 * the CPU tensor memory; {@code --batch} sets the ResNet-9 workloads' batch (64 by default).
 */
public final class StepBenchmark {
    private static int warmup = 5, iters = 10;
    private static double warmupSec = 3.0, minTimedSec = 2.0;
    private static long perExampleBudgetBytes = -1;
    /** Batch of the ResNet-9 workloads ({@code --batch}). */
    private static int resnetBatch = 64;
    private static final String MLP_ROW = "mlp_784_512_512_10_b128", COPY_ROW = "copy_256MB", FILL_ROW = "fill_256MB";
    private static final int COPY_FLOATS = 64 << 20;
    private static final double COPY_BYTES = 4.0 * COPY_FLOATS;
    /** |theta| of the 784-512-512-10 MLP (weights and biases). */
    private static final long MLP_PARAMETERS = 784L * 512 + 512 + 512L * 512 + 512 + 512L * 10 + 10;

    private StepBenchmark() {}

    public static void main(String[] args) {
        List<String> only = null;
        int threads = 2, rounds = 1;
        boolean ordered = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--only" -> only = Arrays.asList(args[++i].split(","));
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--warmup-sec" -> warmupSec = Double.parseDouble(args[++i]);
                case "--min-sec" -> minTimedSec = Double.parseDouble(args[++i]);
                case "--pe-budget-mb" -> perExampleBudgetBytes = Long.parseLong(args[++i]) << 20;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--ordered" -> ordered = true;
                case "--device" -> Backends.setDefaultDevice(Device.parse(args[++i]));
                case "--batch" -> resnetBatch = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        CpuParallel.setThreads(threads);
        System.out.printf(Locale.ROOT, "engram threads=%d kernel=%s java=%s device=%s%n", threads, Sgemm.kernelName(),
                System.getProperty("java.version"), Backends.defaultDevice());
        List<String[]> rows = new ArrayList<>();
        List<String> bounds = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            String suffix = round == 1 ? "" : "@round" + round;
            List<String[]> roundRows = runAll(only, ordered);
            bounds.addAll(perExampleBounds(roundRows, suffix));
            for (String[] r : roundRows) {
                r[0] += suffix;
                rows.add(r);
            }
        }
        printTable(rows);
        bounds.forEach(System.out::println);
    }

    /**
     * Runs every selected workload once in this JVM, in the fixed order of {@link #workloads} (with
     * {@code --ordered}, in the order {@code --only} names them; unknown names are skipped). With
     * {@code --rounds R} the sequence is repeated, so a workload's later rounds show whether what ran
     * before it changes its step time (names of rounds after the first end in {@code @roundR}).
     */
    private static List<String[]> runAll(List<String> only, boolean ordered) {
        Map<String, Supplier<List<String[]>>> all = workloads();
        List<String[]> rows = new ArrayList<>();
        for (String name : ordered && only != null ? only : new ArrayList<>(all.keySet())) {
            if (all.containsKey(name) && want(only, name)) rows.addAll(all.get(name).get());
        }
        return rows;
    }

    /** The workloads by {@code --only} name, in the fixed order they run by default. */
    private static Map<String, Supplier<List<String[]>>> workloads() {
        double mlpFlop = 3.0 * 2 * 128 * (784.0 * 512 + 512.0 * 512 + 512.0 * 10);
        double cnnFlop = 3.0 * 2 * 128 * (28.0 * 28 * 32 * 9 + 14.0 * 14 * 64 * 32 * 9 + 64.0 * 7 * 7 * 128 + 128.0 * 10);
        Map<String, Supplier<List<String[]>>> w = new LinkedHashMap<>();
        w.put("sgemm", () -> one(sgemm(1024, 1024, 1024)));
        w.put("sgemm_kernel", () -> {
            List<String[]> rows = new ArrayList<>();
            rows.add(kernelInCache(1));
            if (CpuParallel.threads() > 1) rows.add(kernelInCache(CpuParallel.threads()));
            return rows;
        });
        w.put("gemms", () -> {
            // forward GEMMs of the MLP (batch x out x in) and of ResNet-9's convs as im2col GEMMs
            // (out channels x batch*H*W x in channels*9), batch 128 and 64
            int[][] shapes = {{128, 512, 784}, {128, 512, 512}, {128, 10, 512}, {64, 65536, 27}, {128, 65536, 576},
                {128, 16384, 1152}, {256, 16384, 1152}, {512, 4096, 2304}, {512, 1024, 4608}};
            List<String[]> rows = new ArrayList<>();
            for (int[] g : shapes) rows.add(sgemm(g[0], g[1], g[2]));
            return rows;
        });
        w.put("cnn", () -> one(train("mnist_cnn_b128", new SmallCnn(1, 28, 10, 42), new int[] {128, 1, 28, 28}, cnnFlop, null)));
        int b = resnetBatch;
        w.put("resnet9", () -> one(
                train("resnet9_b" + b, new ResNet9Dawn(3, 10, 42), new int[] {b, 3, 32, 32}, 3.0 * 2 * b * dawnMacs(), null)));
        w.put("mlp", () -> one(train(MLP_ROW, new Mlp(42, 784, 512, 512, 10), new int[] {128, 784}, mlpFlop, null)));
        w.put("mlp_norms", () -> one(
                train("mlp_b128_pe_norms", new Mlp(42, 784, 512, 512, 10), new int[] {128, 784}, mlpFlop, PerExample.Mode.NORMS)));
        w.put("mlp_pergrad", () -> one(
                train("mlp_b128_pe_grads", new Mlp(42, 784, 512, 512, 10), new int[] {128, 784}, mlpFlop, PerExample.Mode.GRADIENTS)));
        double paperFlop = 3.0 * 2 * b * paperMacs();
        w.put("resnet9paper", () -> one(
                train("resnet9paper_b" + b, new ResNet9(3, 10, 42), new int[] {b, 3, 32, 32}, paperFlop, null)));
        w.put("resnet9paper_norms", () -> one(
                train("resnet9paper_b" + b + "_pe_norms", new ResNet9(3, 10, 42), new int[] {b, 3, 32, 32}, paperFlop,
                        PerExample.Mode.NORMS)));
        // last, so that its 512 MB of arrays cannot disturb a workload timed after it in this round
        w.put("copybw", StepBenchmark::copyBandwidth);
        return w;
    }

    private static void printTable(List<String[]> rows) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-28s %12s %12s %12s %12s %12s%n", "benchmark", "median ms", "min ms", "max ms",
                "GFLOP/step", "GFLOP/s(med)");
        for (String[] r : rows) {
            double med = Double.parseDouble(r[1]), gf = Double.parseDouble(r[3]);
            System.out.printf(Locale.ROOT, "%-28s %12.2f %12.2f %12.2f %12.3f %12.1f%n", r[0], med, Double.parseDouble(r[2]),
                    Double.parseDouble(r[4]), gf, gf / (med / 1000.0));
        }
        for (String[] r : rows) System.out.println("RESULT\t" + String.join("\t", r));
    }

    /**
     * The copy bandwidth of one thread: {@code System.arraycopy} of a 256 MB float array into
     * another, then {@code Arrays.fill} of one (write only), each at least 10 timed times after one
     * untimed pass that faults the pages in. Returns {@code RESULT} rows (GFLOP 0) named
     * {@link #COPY_ROW} and {@link #FILL_ROW}; prints GB/s, counting the bytes read and written once
     * each (a copy moves 2 x 256 MB, a fill 256 MB).
     */
    private static List<String[]> copyBandwidth() {
        float[] src = new float[COPY_FLOATS], dst = new float[COPY_FLOATS];
        Arrays.fill(src, 1f);
        int reps = Math.max(10, iters);
        StepTimer copy = new StepTimer(1, 0, reps, 0), fill = new StepTimer(1, 0, reps, 0);
        while (copy.more()) {
            long t0 = System.nanoTime();
            System.arraycopy(src, 0, dst, 0, COPY_FLOATS);
            copy.record(t0, System.nanoTime());
        }
        float value = 0;
        while (fill.more()) {
            value += 1;
            long t0 = System.nanoTime();
            Arrays.fill(dst, value);
            fill.record(t0, System.nanoTime());
        }
        if (dst[COPY_FLOATS / 2] != value) throw new AssertionError("fill did not happen");
        String[] c = copy.result(COPY_ROW, 0), f = fill.result(FILL_ROW, 0);
        System.out.printf(Locale.ROOT, "copybw: System.arraycopy %.1f GB/s best, %.1f GB/s median (read + write); "
                + "Arrays.fill %.1f GB/s best, %.1f GB/s median (write only); one thread, 256 MB arrays%n",
                2 * COPY_BYTES / 1e6 / Double.parseDouble(c[2]), 2 * COPY_BYTES / 1e6 / Double.parseDouble(c[1]),
                COPY_BYTES / 1e6 / Double.parseDouble(f[2]), COPY_BYTES / 1e6 / Double.parseDouble(f[1]));
        return List.<String[]>of(c, f);
    }

    /**
     * The per-example lines for one round's rows: with {@code mlp}, {@code mlp_pergrad} and
     * {@code copybw}, the bound plain step + B x |theta| x 4 bytes / best write bandwidth and the
     * ratio pergrad / bound (goal at most 1.5); with {@code mlp} and {@code mlp_norms}, the ratio
     * norms / plain (goal at most 1.3). Printed, never asserted.
     */
    private static List<String> perExampleBounds(List<String[]> rows, String suffix) {
        List<String> out = new ArrayList<>();
        String[] mlp = row(rows, MLP_ROW), pergrad = row(rows, "mlp_b128_pe_grads"), norms = row(rows, "mlp_b128_pe_norms");
        String[] copy = row(rows, COPY_ROW), fill = row(rows, FILL_ROW);
        if (mlp == null) return out;
        double plain = Double.parseDouble(mlp[1]);
        if (pergrad != null && copy != null && fill != null) {
            double bytes = 128.0 * MLP_PARAMETERS * 4;
            double writeGbs = COPY_BYTES / 1e6 / Double.parseDouble(fill[2]);
            double copyGbs = 2 * COPY_BYTES / 1e6 / Double.parseDouble(copy[2]);
            double writeMs = bytes / 1e6 / writeGbs, bound = plain + writeMs, pg = Double.parseDouble(pergrad[1]);
            out.add(String.format(Locale.ROOT, "PERGRAD_BOUND%s: plain mlp median %.2f ms + B*|theta|*4 = 128*%d*4 = %.1f MB "
                    + "at write bandwidth %.1f GB/s (Arrays.fill, best) %.2f ms = bound %.2f ms; mlp_pergrad median %.2f ms; "
                    + "ratio pergrad/bound %.2f (goal <= 1.5). At the copy bandwidth %.1f GB/s (read + write, best) the "
                    + "write alone would take %.2f ms.", suffix, plain, MLP_PARAMETERS, bytes / 1e6, writeGbs, writeMs, bound, pg,
                    pg / bound, copyGbs, bytes / 1e6 / copyGbs));
        }
        if (norms != null) {
            double n = Double.parseDouble(norms[1]);
            out.add(String.format(Locale.ROOT, "NORMS_OVERHEAD%s: mlp_norms median %.2f ms / mlp median %.2f ms = %.2f (goal <= 1.3)",
                    suffix, n, plain, n / plain));
        }
        return out;
    }

    private static List<String[]> one(String[] row) {
        return List.<String[]>of(row);
    }

    private static String[] row(List<String[]> rows, String name) {
        return rows.stream().filter(r -> r[0].equals(name)).findFirst().orElse(null);
    }

    private static boolean want(List<String> only, String name) {
        return only == null || only.contains(name);
    }

    /** Forward MACs per sample of the DAWNBench ResNet-9 (conv and linear only), as the peer counts them. */
    static double dawnMacs() {
        return 32.0 * 32 * 64 * 3 * 9 + 32.0 * 32 * 128 * 64 * 9 + 2 * 16.0 * 16 * 128 * 128 * 9
                + 16.0 * 16 * 256 * 128 * 9 + 8.0 * 8 * 512 * 256 * 9 + 2 * 4.0 * 4 * 512 * 512 * 9 + 512.0 * 10;
    }

    /**
     * Forward MACs per sample of the paper's ResNet-9 ({@link ResNet9}, 3x32x32; conv and linear only,
     * spatial 32, 16, 16, 16, 8, 8, 6), as the peer counts them.
     */
    static double paperMacs() {
        return 32.0 * 32 * 64 * 3 * 9 + 16.0 * 16 * 128 * 64 * 25 + 2 * 16.0 * 16 * 128 * 128 * 9
                + 16.0 * 16 * 256 * 128 * 9 + 2 * 8.0 * 8 * 256 * 256 * 9 + 6.0 * 6 * 128 * 256 * 9 + 128.0 * 10;
    }

    /**
     * C[m×n] = A[m×k]·B[k×n] timed per call; also prints the GFLOP per CPU-second of all threads,
     * a rate that a loaded machine disturbs far less than wall-clock time.
     */
    private static String[] sgemm(int m, int n, int k) {
        float[] a = Tensor.rand(1, -1, 1, m, k).toFloatArray(), b = Tensor.rand(2, -1, 1, k, n).toFloatArray();
        float[] c = new float[m * n];
        StepTimer timer = newTimer();
        while (timer.more()) {
            long cpu0 = ThreadCounters.cpuNanos();
            long t0 = System.nanoTime();
            Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            timer.record(t0, System.nanoTime());
            timer.recordCounters(0, ThreadCounters.cpuNanos() - cpu0, 0);
        }
        double gflop = 2.0 * m * n * k / 1e9;
        String name = m == n && n == k ? "sgemm_" + n : "sgemm_" + m + "x" + n + "x" + k;
        System.out.printf(Locale.ROOT, "%s: %.1f GFLOP per CPU-second (median CPU time of a call %.3f ms, all threads)%n",
                name, gflop / (StepTimer.median(timer.cpuNanos) / 1e9), StepTimer.median(timer.cpuNanos) / 1e6);
        return timer.result(name, gflop);
    }

    /**
     * The SGEMM micro-kernel alone with its operands in cache ({@link Sgemm#kernelInCache}) on {@code threads} threads
     * at once, 2000 macro-kernel calls per thread a step: the ceiling of {@code sgemm} on this machine.
     */
    private static String[] kernelInCache(int threads) {
        int calls = 2000;
        StepTimer timer = newTimer();
        int fewest = threads;
        while (timer.more()) {
            long t0 = System.nanoTime();
            fewest = Math.min(fewest, Sgemm.kernelInCache(threads, calls));
            timer.record(t0, System.nanoTime());
        }
        if (fewest < threads) {
            System.out.printf(Locale.ROOT, "sgemm_kernel: in some steps only %d of %d threads ran a share%n", fewest, threads);
        }
        return timer.result("sgemm_kernel_" + threads + "t", Sgemm.kernelInCacheFlop() * calls * threads / 1e9);
    }

    private static String[] train(String name, Module model, int[] inShape, double flopPerStep, PerExample.Mode perExample) {
        Sgd opt = Sgd.builder(model).learningRate(0.01).build();
        Tensor x = Tensor.randn(7, inShape).retain();
        int[] labels = new int[inShape[0]];
        for (int i = 0; i < labels.length; i++) labels[i] = (i * 7) % 10;
        Tensor y = Tensor.ofInts(labels, labels.length).retain();
        System.out.printf(Locale.ROOT, "%s: %d parameters, input %s%n", name, model.parameterCount(), Arrays.toString(inShape));
        StepTimer timer = newTimer();
        float lastLoss = Float.NaN;
        double checksum = 0;
        long peakStepBytes = 0, firstAllocated = -1;
        CudaBackend cuda = Backends.get(Backends.defaultDevice()) instanceof CudaBackend c ? c : null;
        while (timer.more()) {
            long a0 = ThreadCounters.allocatedBytes(), cpu0 = ThreadCounters.cpuNanos(), pf0 = ThreadCounters.minorFaults();
            long t0 = System.nanoTime();
            long liveBefore = CpuMemory.liveBytes();
            CpuMemory.resetPeak();
            try (TensorScope s = Tensors.scope()) {
                opt.zeroGrad();
                Tensor loss;
                if (perExample == null) {
                    loss = Functional.crossEntropy(model.forward(x), y);
                    loss.backward();
                } else {
                    PerExampleOptions options = perExampleBudgetBytes > 0
                            ? PerExampleOptions.defaults().withMemoryBudget(perExampleBudgetBytes) : PerExampleOptions.defaults();
                    try (PerExampleGradients pe = PerExample.collect(model.parameters(), perExample, options)) {
                        loss = Functional.crossEntropy(model.forward(x), y);
                        loss.backward();
                        Tensor first = model.parameters().get(0);
                        // norms: read them; full gradients: read one value of the last example's (a norm
                        // would read all B x |theta| floats again, which is not part of collecting them)
                        checksum += perExample == PerExample.Mode.NORMS ? pe.squaredNorms(first)[0]
                                : pe.gradients(first).slice(0, inShape[0] - 1, inShape[0]).flatten(0).slice(0, 0, 1).item();
                        pe.release(); // as a user would once done: the per-example arrays go back to the pool
                    }
                }
                opt.step();
                lastLoss = loss.item();
            }
            timer.record(t0, System.nanoTime());
            if (cuda != null && firstAllocated < 0 && timer.timedSteps() == 1) {
                firstAllocated = cuda.memoryStats().allocatedBytes();
            }
            timer.recordCounters(ThreadCounters.allocatedBytes() - a0, ThreadCounters.cpuNanos() - cpu0,
                    ThreadCounters.minorFaults() - pf0);
            peakStepBytes = Math.max(peakStepBytes, CpuMemory.peakBytes() - liveBefore);
        }
        if (cuda != null) {
            System.out.printf(Locale.ROOT, "%s: device memory: %s (allocated after the first timed step %.1f MiB, after the last"
                    + " %.1f MiB)%n", name, cuda.memoryStats(), firstAllocated / 1048576.0, cuda.memoryStats().allocatedBytes() / 1048576.0);
        } else {
            System.out.printf(Locale.ROOT, "%s: peak tensor memory of a step above the parameters: %.1f MB%n", name,
                    peakStepBytes / 1e6);
        }
        System.out.printf(Locale.ROOT, "%s: per timed step, all threads: Java heap allocated median %.2f MB, CPU time median %.2f ms"
                + " (min %.2f ms), minor page faults median %.0f%n", name, StepTimer.median(timer.allocated) / 1e6,
                StepTimer.median(timer.cpuNanos) / 1e6, timer.cpuNanos.stream().mapToLong(Long::longValue).min().orElse(0) / 1e6,
                StepTimer.median(timer.faults));
        System.out.printf(Locale.ROOT, "%s: %d warm-up + %d timed steps, final loss %.4f%s%n", name, timer.warmDone(),
                timer.times().length, lastLoss, perExample == null ? "" : String.format(Locale.ROOT, " (checksum %.3g)", checksum));
        return timer.result(name, flopPerStep / 1e9);
    }

    private static StepTimer newTimer() {
        return new StepTimer(warmup, warmupSec, iters, minTimedSec);
    }
}
