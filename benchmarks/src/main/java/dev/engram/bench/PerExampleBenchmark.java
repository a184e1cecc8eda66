package dev.engram.bench;

import dev.engram.engine.Functional;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.engine.cpu.CpuParallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Cost of per-example quantities relative to a plain training step (forward + backward of the
 * mean cross-entropy): {@code plain}, {@code norms} (per-example squared norms of every
 * parameter) and {@code gradients} (full per-example gradients) for an MLP 784-512-512-10 at
 * batch 128, a small CNN (conv 1-32-3, pool, conv 32-64-3, pool, linear) on 28x28 at batch 64,
 * and {@code ResNet9} at a quarter of the paper's widths on 3x32x32 at batch 64 in training
 * mode (batch-norm with batch statistics).
 *
 * <p>{@link #main} measures the same three steps by the CPU time of one thread (engine thread
 * pool set to 1), which stays meaningful on a machine shared with other work:
 * {@code java -cp ... dev.engram.bench.PerExampleBenchmark mlp 30}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class PerExampleBenchmark {
    @Param({"mlp", "cnn", "resnet9"})
    public String model;

    @Param({"2"})
    public int threads;

    private final List<Tensor> params = new ArrayList<>();
    private Tensor x, labels;
    private int batch;
    private dev.engram.nn.Module net;

    private Tensor param(long seed, float scale, int... shape) {
        Tensor p = Tensor.randn(seed, shape).mul(scale).detach().requiresGrad(true).retain();
        params.add(p);
        return p;
    }

    @Setup
    public void setup() {
        CpuParallel.setThreads(threads);
        params.clear();
        if (model.equals("mlp")) {
            batch = 128;
            x = Tensor.randn(100, batch, 784).retain();
            param(1, 0.035f, 512, 784);
            param(2, 0.01f, 512);
            param(3, 0.044f, 512, 512);
            param(4, 0.01f, 512);
            param(5, 0.044f, 10, 512);
            param(6, 0.01f, 10);
        } else if (model.equals("resnet9")) {
            batch = 64;
            x = Tensor.randn(100, batch, 3, 32, 32).retain();
            net = new dev.engram.nn.models.ResNet9(3, 10, 0.25, 1);
            net.train(true);
            params.addAll(net.parameters());
        } else {
            batch = 64;
            x = Tensor.randn(100, batch, 1, 28, 28).retain();
            param(1, 0.33f, 32, 1, 3, 3);
            param(2, 0.01f, 32);
            param(3, 0.06f, 64, 32, 3, 3);
            param(4, 0.01f, 64);
            param(5, 0.02f, 10, 64 * 7 * 7);
            param(6, 0.01f, 10);
        }
        int[] l = new int[batch];
        for (int i = 0; i < batch; i++) l[i] = (i * 7) % 10;
        labels = Tensor.ofInts(l, batch).retain();
    }

    private Tensor loss() {
        Tensor h;
        if (net != null) {
            h = net.forward(x);
        } else if (model.equals("mlp")) {
            h = Functional.linear(x, params.get(0), params.get(1)).relu();
            h = Functional.linear(h, params.get(2), params.get(3)).relu();
            h = Functional.linear(h, params.get(4), params.get(5));
        } else {
            h = Functional.conv2d(x, params.get(0), params.get(1), 1, 1, 1).relu();
            h = Functional.maxPool2d(h, 2, 2, 0);
            h = Functional.conv2d(h, params.get(2), params.get(3), 1, 1, 1).relu();
            h = Functional.maxPool2d(h, 2, 2, 0).reshape(batch, 64 * 7 * 7);
            h = Functional.linear(h, params.get(4), params.get(5));
        }
        return Functional.crossEntropy(h, labels);
    }

    private float finish() {
        float v = params.get(0).grad().reshape(-1).slice(0, 0, 1).item();
        for (Tensor p : params) p.zeroGrad();
        return v;
    }

    @Benchmark
    public float plain() {
        try (TensorScope s = Tensors.scope()) {
            loss().backward();
            return finish();
        }
    }

    @Benchmark
    public float norms() {
        try (TensorScope s = Tensors.scope()) {
            PerExampleGradients pe;
            try (PerExampleGradients open = PerExample.collect(params, PerExample.Mode.NORMS)) {
                pe = open;
                loss().backward();
            }
            return pe.totalSquaredNorms()[0] + finish();
        }
    }

    @Benchmark
    public float gradients() {
        try (TensorScope s = Tensors.scope()) {
            PerExampleGradients pe;
            try (PerExampleGradients open = PerExample.collect(params, PerExample.Mode.GRADIENTS)) {
                pe = open;
                loss().backward();
            }
            float v = pe.gradients(params.get(0)).numel() + finish();
            pe.release();
            return v;
        }
    }

    /**
     * Single-thread CPU time per step of plain / norms / gradients, interleaved; prints min and
     * median. Arguments: model (mlp, cnn, resnet9), repetitions, warm-up rounds.
     */
    public static void main(String[] args) {
        PerExampleBenchmark b = new PerExampleBenchmark();
        b.model = args.length > 0 ? args[0] : "mlp";
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int warmups = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        b.threads = 1;
        b.setup();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[] names = {"plain", "norms", "gradients"};
        double[][] ms = new double[3][reps];
        for (int warm = 0; warm < warmups; warm++) {
            b.plain();
            b.norms();
            b.gradients();
        }
        for (int r = 0; r < reps; r++) {
            for (int m = 0; m < 3; m++) {
                long t0 = mx.getCurrentThreadCpuTime();
                switch (m) {
                    case 0 -> b.plain();
                    case 1 -> b.norms();
                    default -> b.gradients();
                }
                ms[m][r] = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
            }
        }
        double[] min = new double[3], med = new double[3];
        for (int m = 0; m < 3; m++) {
            double[] v = ms[m].clone();
            Arrays.sort(v);
            min[m] = v[0];
            med[m] = v[reps / 2];
        }
        System.out.printf(Locale.ROOT, "model %s, %d reps, single-thread CPU time per step%n", b.model, reps);
        for (int m = 0; m < 3; m++) {
            System.out.printf(Locale.ROOT, "%-10s min %8.1f ms  median %8.1f ms  ratio to plain: min %.2f  median %.2f%n", names[m],
                    min[m], med[m], min[m] / min[0], med[m] / med[0]);
        }
    }
}
