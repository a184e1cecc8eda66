package dev.engram.bench;

import dev.engram.engine.cpu.CpuParallel;
import dev.engram.engine.cpu.Sgemm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of {@link Sgemm#sgemm}: square 1024³ and 256³, and a ResNet-9-like convolution
 * GEMM (im2col: m = 128 output channels, n = 64·16·16 columns, k = 128·3·3), each with 1 and 2
 * {@link CpuParallel} threads. Besides calls per second, the secondary result {@code gflops}
 * reports GFLOP/s directly (JMH prints it as "ops/s": one op = 10⁹ floating-point operations).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar Sgemm}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class SgemmBenchmark {
    /** Problem shape "m×n×k" (written with x). */
    @Param({"1024x1024x1024", "256x256x256", "128x16384x1152"})
    public String shape;

    /** CpuParallel thread count. */
    @Param({"1", "2"})
    public int threads;

    private int m, n, k;
    private float[] a, b, c;

    /** Per-thread counter of floating-point work, reported as GFLOP/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        /** Accumulated 10⁹ FLOPs; JMH divides by time. */
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        CpuParallel.setThreads(threads);
        SplittableRandom r = new SplittableRandom(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() - 0.5);
        if (!Sgemm.vectorized()) {
            System.err.println("WARNING: Sgemm Vector API kernel inactive (scalar fallback)");
        }
    }

    /** C = A·B, row-major, no transposes. */
    @Benchmark
    public float[] sgemm(Flops flops) {
        Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        flops.gflops += 2e-9 * m * n * k;
        return c;
    }
}
