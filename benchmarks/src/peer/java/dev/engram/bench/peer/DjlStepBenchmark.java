package dev.engram.bench.peer;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.engram.bench.StepTimer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The peer of {@code dev.engram.bench.StepBenchmark}: the same workloads and timing discipline on
 * DJL + libtorch (CPU), whose native libraries come from the Maven jars on the class path (run with
 * {@code -Dai.djl.offline=true}, so nothing is downloaded). Built and run only by the {@code peer}
 * profile of the benchmarks module ({@code benchmarks/side-by-side.sh}).
 *
 * <p>Workloads: {@code sgemm} 1024^3, {@code mlp} 784-512-512-10 b128, {@code cnn} the MNIST CNN
 * b128, {@code resnet9} Page's DAWNBench ResNet-9 b64. One step = forward, mean softmax
 * cross-entropy, backward, plain SGD (lr 0.01). Warm-up at least 5 steps and 3 s, then at least 10
 * steps and 2 s ({@link StepTimer}, shared with Engram's harness). Output ends with lines
 * {@code RESULT name median_ms min_ms gflop}, as Engram's.
 *
 * <p>Arguments: {@code [--only sgemm,mlp] [--warmup N] [--iters N] [--warmup-sec S] [--min-sec S]}.
 */
public final class DjlStepBenchmark {
    private static int warmup = 5, iters = 10;
    private static double warmupSec = 3.0, minTimedSec = 2.0;

    private DjlStepBenchmark() {}

    public static void main(String[] args) {
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--only" -> only = Arrays.asList(args[++i].split(","));
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--warmup-sec" -> warmupSec = Double.parseDouble(args[++i]);
                case "--min-sec" -> minTimedSec = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        engine.setRandomSeed(42);
        System.out.printf(Locale.ROOT, "engine=%s version=%s djl=%s offline=%s java=%s%n", engine.getEngineName(),
                engine.getVersion(), Engine.getDjlVersion(), System.getProperty("ai.djl.offline"),
                System.getProperty("java.version"));
        List<String[]> rows = new ArrayList<>();
        if (want(only, "sgemm")) rows.add(sgemm(1024));
        if (want(only, "cnn")) rows.add(train("mnist_cnn_b128", mnistCnn(), new Shape(128, 1, 28, 28), 3.0 * 2 * 128 * cnnMacs()));
        if (want(only, "resnet9")) rows.add(train("resnet9_b64", resnet9(), new Shape(64, 3, 32, 32), 3.0 * 2 * 64 * dawnMacs()));
        if (want(only, "mlp")) {
            rows.add(train("mlp_784_512_512_10_b128", mlp(), new Shape(128, 784),
                    3.0 * 2 * 128 * (784.0 * 512 + 512.0 * 512 + 512.0 * 10)));
        }
        for (String[] r : rows) System.out.println("RESULT\t" + String.join("\t", r));
    }

    private static boolean want(List<String> only, String name) {
        return only == null || only.contains(name);
    }

    private static String[] sgemm(int n) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = m.randomUniform(-1f, 1f, new Shape(n, n), DataType.FLOAT32);
            NDArray b = m.randomUniform(-1f, 1f, new Shape(n, n), DataType.FLOAT32);
            StepTimer timer = newTimer();
            while (timer.more()) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b); // libtorch CPU ops are synchronous
                long t1 = System.nanoTime();
                c.close();
                timer.record(t0, t1);
            }
            return timer.result("sgemm_" + n, 2.0 * n * n * n / 1e9);
        }
    }

    private static String[] train(String name, Block block, Shape inShape, double flopPerStep) {
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build())
                    .optDevices(new Device[] {Device.cpu()});
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(inShape);
                NDManager manager = trainer.getManager();
                NDArray x = manager.randomNormal(0f, 1f, inShape, DataType.FLOAT32);
                NDArray y = manager.randomInteger(0, 10, new Shape(inShape.get(0)), DataType.INT64);
                StepTimer timer = newTimer();
                while (timer.more()) {
                    long t0 = System.nanoTime();
                    try (NDManager step = manager.newSubManager()) {
                        x.tempAttach(step); // intermediates land in the step's manager and are freed with it
                        y.tempAttach(step);
                        NDArray loss;
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                            collector.backward(loss);
                        }
                        trainer.step();
                        loss.getFloat();
                    }
                    timer.record(t0, System.nanoTime());
                }
                return timer.result(name, flopPerStep / 1e9);
            }
        }
    }

    private static StepTimer newTimer() {
        return new StepTimer(warmup, warmupSec, iters, minTimedSec);
    }

    private static Block conv3x3(int filters, boolean bias) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).optBias(bias)
                .setFilters(filters).build();
    }

    private static Block maxPool(int k) {
        return Pool.maxPool2dBlock(new Shape(k, k), new Shape(k, k));
    }

    /** conv 1→32, ReLU, pool 2, conv 32→64, ReLU, pool 2, linear 3136→128, ReLU, linear 128→10. */
    private static Block mnistCnn() {
        return new SequentialBlock().add(conv3x3(32, true)).add(Activation.reluBlock()).add(maxPool(2))
                .add(conv3x3(64, true)).add(Activation.reluBlock()).add(maxPool(2)).add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
    }

    private static double cnnMacs() {
        return 28.0 * 28 * 32 * 9 + 14.0 * 14 * 64 * 32 * 9 + 64.0 * 7 * 7 * 128 + 128.0 * 10;
    }

    /** 3×3 conv without bias, batch-norm, ReLU. */
    private static Block convBn(int channels) {
        return new SequentialBlock().add(conv3x3(channels, false)).add(BatchNorm.builder().build())
                .add(Activation.reluBlock());
    }

    /** x + convBn(convBn(x)). */
    private static Block residual(int channels) {
        Block branch = new SequentialBlock().add(convBn(channels)).add(convBn(channels));
        return new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().add(l.get(1).singletonOrThrow())),
                Arrays.asList(branch, Blocks.identityBlock()));
    }

    /** Page's DAWNBench ResNet-9 for 3×32×32 inputs (the layout of Engram's {@code ResNet9Dawn}). */
    private static Block resnet9() {
        return new SequentialBlock().add(convBn(64))
                .add(convBn(128)).add(maxPool(2)).add(residual(128))
                .add(convBn(256)).add(maxPool(2))
                .add(convBn(512)).add(maxPool(2)).add(residual(512))
                .add(maxPool(4)).add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).optBias(false).build())
                .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().mul(0.125f))));
    }

    /** Forward conv and linear MACs per sample, counted as Engram's StepBenchmark counts them. */
    private static double dawnMacs() {
        return 32.0 * 32 * 64 * 3 * 9 + 32.0 * 32 * 128 * 64 * 9 + 2 * 16.0 * 16 * 128 * 128 * 9
                + 16.0 * 16 * 256 * 128 * 9 + 8.0 * 8 * 512 * 256 * 9 + 2 * 4.0 * 4 * 512 * 512 * 9 + 512.0 * 10;
    }

    private static Block mlp() {
        return new SequentialBlock().add(Linear.builder().setUnits(512).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(512).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
    }
}
