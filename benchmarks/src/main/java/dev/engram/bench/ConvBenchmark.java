package dev.engram.bench;

import dev.engram.engine.Functional;
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

import java.util.concurrent.TimeUnit;

/**
 * Conv2d forward + backward (data and filter gradients) at the paper's ResNet-9 shapes,
 * batch 64. FLOPs per invocation = 3 x 2 x MACs of the forward convolution.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class ConvBenchmark {
    /** name: in-out-kernel-stride-pad-spatial. */
    @Param({"res1_128-128-3-1-1-16", "res2_256-256-3-1-1-8", "conv2_64-128-5-2-2-32", "conv1_3-64-3-1-1-32"})
    public String layer;

    @Param({"2"})
    public int threads;

    private Tensor x, w;
    private int stride, pad;

    @Setup
    public void setup() {
        CpuParallel.setThreads(threads);
        String[] p = layer.substring(layer.indexOf('_') + 1).split("-");
        int in = Integer.parseInt(p[0]), out = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        stride = Integer.parseInt(p[3]);
        pad = Integer.parseInt(p[4]);
        int hw = Integer.parseInt(p[5]);
        x = Tensor.randn(1, 64, in, hw, hw).requiresGrad(true).retain();
        w = Tensor.randn(2, out, in, k, k).mul(0.05f).detach().requiresGrad(true).retain();
    }

    @Benchmark
    public Tensor forwardBackward() {
        try (TensorScope s = Tensors.scope()) {
            Tensor y = Functional.conv2d(x, w, null, stride, pad, 1);
            y.sum().backward();
            Tensor g = w.grad();
            x.zeroGrad();
            w.zeroGrad();
            return g;
        }
    }
}
