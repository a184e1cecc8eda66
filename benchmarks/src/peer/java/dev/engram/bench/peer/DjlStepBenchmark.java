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
import ai.djl.nn.Parameter;
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
 * <p>Workloads: {@code sgemm} 1024^3, {@code gemms} the GEMM shapes of the MLP and of ResNet-9's convs, {@code mlp} 784-512-512-10 b128, {@code cnn} the MNIST CNN
 * b128, {@code resnet9} Page's DAWNBench ResNet-9 b64, {@code resnet9paper} the paper's ResNet-9 b64
 * (Engram's {@code ResNet9}), and {@code mlp_norms}: the MLP step plus per-example squared gradient
 * norms, with an explicit forward and a manual backward in libtorch ops ({@link #mlpNorms}). One step
 * = forward, mean softmax cross-entropy, backward, plain SGD (lr 0.01). Warm-up at least 5 steps and
 * 3 s, then at least 10 steps and 2 s ({@link StepTimer}, shared with Engram's harness). Output ends
 * with lines {@code RESULT name median_ms min_ms gflop}, as Engram's.
 *
 * <p>Engram's {@code resnet9paper_norms} has no peer here: DJL has no per-example gradient mechanism
 * for convolutions (no vmap or per-sample hooks), only whole-batch autograd.
 *
 * <p>Arguments: {@code [--only sgemm,mlp] [--warmup N] [--iters N] [--warmup-sec S] [--min-sec S]}.
 */
public final class DjlStepBenchmark {
    private static final float LR = 0.01f;
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
        if (want(only, "sgemm")) rows.add(sgemm(1024, 1024, 1024));
        if (want(only, "gemms")) {
            // the shapes of Engram's StepBenchmark "gemms": the MLP's forward GEMMs and ResNet-9's convs as im2col GEMMs
            int[][] shapes = {{128, 512, 784}, {128, 512, 512}, {128, 10, 512}, {64, 65536, 27}, {128, 65536, 576},
                {128, 16384, 1152}, {256, 16384, 1152}, {512, 4096, 2304}, {512, 1024, 4608}};
            for (int[] g : shapes) rows.add(sgemm(g[0], g[1], g[2]));
        }
        if (want(only, "cnn")) rows.add(train("mnist_cnn_b128", mnistCnn(), new Shape(128, 1, 28, 28), 3.0 * 2 * 128 * cnnMacs()));
        if (want(only, "resnet9")) rows.add(train("resnet9_b64", resnet9(), new Shape(64, 3, 32, 32), 3.0 * 2 * 64 * dawnMacs()));
        if (want(only, "resnet9paper")) {
            rows.add(train("resnet9paper_b64", resnet9Paper(), new Shape(64, 3, 32, 32), 3.0 * 2 * 64 * paperMacs()));
        }
        double mlpFlop = 3.0 * 2 * 128 * (784.0 * 512 + 512.0 * 512 + 512.0 * 10);
        if (want(only, "mlp")) rows.add(train("mlp_784_512_512_10_b128", mlp(), new Shape(128, 784), mlpFlop));
        if (want(only, "mlp_norms")) rows.add(mlpNorms("mlp_b128_pe_norms", 128, mlpFlop));
        for (String[] r : rows) System.out.println("RESULT\t" + String.join("\t", r));
    }

    private static boolean want(List<String> only, String name) {
        return only == null || only.contains(name);
    }

    /** C[m×n] = A[m×k]·B[k×n], one matMul per step; named as Engram's StepBenchmark names it. */
    private static String[] sgemm(int m, int n, int k) {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = nd.randomUniform(-1f, 1f, new Shape(m, k), DataType.FLOAT32);
            NDArray b = nd.randomUniform(-1f, 1f, new Shape(k, n), DataType.FLOAT32);
            StepTimer timer = newTimer();
            while (timer.more()) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b); // libtorch CPU ops are synchronous
                long t1 = System.nanoTime();
                c.close();
                timer.record(t0, t1);
            }
            String name = m == n && n == k ? "sgemm_" + n : "sgemm_" + m + "x" + n + "x" + k;
            return timer.result(name, 2.0 * m * n * k / 1e9);
        }
    }

    private static String[] train(String name, Block block, Shape inShape, double flopPerStep) {
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            try (Trainer trainer = model.newTrainer(sgdConfig())) {
                trainer.initialize(inShape);
                System.out.printf(Locale.ROOT, "%s: %d parameters, input %s%n", name, parameterCount(block), inShape);
                NDManager manager = trainer.getManager();
                NDArray x = manager.randomNormal(0f, 1f, inShape, DataType.FLOAT32);
                NDArray y = manager.randomInteger(0, 10, new Shape(inShape.get(0)), DataType.INT64);
                StepTimer timer = newTimer();
                float lastLoss = Float.NaN;
                while (timer.more()) {
                    long t0 = System.nanoTime();
                    lastLoss = trainerStep(trainer, x, y);
                    timer.record(t0, System.nanoTime());
                }
                System.out.printf(Locale.ROOT, "%s: %d warm-up + %d timed steps, final loss %.4f%n", name,
                        timer.warmDone(), timer.times().length, lastLoss);
                return timer.result(name, flopPerStep / 1e9);
            }
        }
    }

    /** Mean softmax cross-entropy, plain SGD with lr {@link #LR}, CPU. */
    private static DefaultTrainingConfig sgdConfig() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build())
                .optDevices(new Device[] {Device.cpu()});
    }

    /**
     * The {@code mlp} step plus per-example squared gradient norms of all six parameters, written as an
     * expert libtorch user would without vmap: explicit forward with the weights as NDArrays, manual
     * backward ({@code dlogits = (softmax - onehot) / B}), per linear layer the closed form
     * {@code ||g_i||^2 = (||a_i||^2 + 1) ||delta_i||^2} for weight and bias together, summed over the
     * layers, then SGD on the summed gradient. The 1/B follows Engram's {@code PerExample} convention:
     * {@code g_i} is the gradient of example i's share {@code l_i / B} of the mean loss, so the
     * {@code g_i} sum to the batch gradient. Before timing it checks the norms against B batch-of-one
     * autograd passes and its loss trajectory against the {@code mlp} workload's Trainer step from the
     * same initial weights, and throws if either disagrees by more than 1e-3 (relative).
     */
    private static String[] mlpNorms(String name, int batch, double flopPerStep) {
        Shape inShape = new Shape(batch, 784);
        try (Model model = Model.newInstance(name, Device.cpu(), "PyTorch")) {
            Block block = mlp();
            model.setBlock(block);
            try (Trainer trainer = model.newTrainer(sgdConfig())) {
                trainer.initialize(inShape);
                System.out.printf(Locale.ROOT, "%s: %d parameters, input %s%n", name, parameterCount(block), inShape);
                NDManager manager = trainer.getManager();
                NDArray x = manager.randomNormal(0f, 1f, inShape, DataType.FLOAT32);
                NDArray y = manager.randomInteger(0, 10, new Shape(batch), DataType.INT64);
                NDArray onehot = y.oneHot(10);
                // W1, b1, W2, b2, W3, b3 (DJL's Linear: weight [out, in]), fresh copies without autograd history
                NDArray[] w = block.getParameters().values().stream()
                        .map(p -> manager.create(p.getArray().toFloatArray(), p.getArray().getShape())).toArray(NDArray[]::new);
                checkNorms(w, x.get("0:4"), onehot.get("0:4"), manager);
                checkTrajectory(name, trainer, w, x, y, onehot, 5);
                StepTimer timer = newTimer();
                float lastLoss = Float.NaN;
                double checksum = 0;
                while (timer.more()) {
                    long t0 = System.nanoTime();
                    try (NDManager step = manager.newSubManager()) {
                        x.tempAttach(step); // intermediates land in the step's manager and are freed with it
                        onehot.tempAttach(step);
                        for (NDArray a : w) a.tempAttach(step);
                        NDList out = manualMlpStep(w, x, onehot, LR);
                        lastLoss = out.get(0).getFloat();
                        checksum += out.get(1).getFloat(0);
                    }
                    timer.record(t0, System.nanoTime());
                }
                System.out.printf(Locale.ROOT, "%s: %d warm-up + %d timed steps, final loss %.4f"
                        + " (checksum of example 0's total squared norm %.3g)%n", name, timer.warmDone(), timer.times().length,
                        lastLoss, checksum);
                return timer.result(name, flopPerStep / 1e9);
            }
        }
    }

    /**
     * Forward, manual backward and per-example squared gradient norms {@code [B]} of the 784-512-512-10
     * MLP with weights {@code w} (mean loss convention, see {@link #mlpNorms}); then, if {@code lr > 0},
     * SGD on {@code w} in place. Returns {loss, norms}.
     */
    private static NDList manualMlpStep(NDArray[] w, NDArray x, NDArray onehot, float lr) {
        long b = x.getShape().get(0);
        NDArray a1 = Activation.relu(x.matMul(w[0].transpose()).addi(w[1]));
        NDArray a2 = Activation.relu(a1.matMul(w[2].transpose()).addi(w[3]));
        NDArray logp = a2.matMul(w[4].transpose()).addi(w[5]).logSoftmax(1);
        NDArray loss = logp.mul(onehot).sum().neg().divi(b);
        NDArray d3 = logp.exp().subi(onehot).divi(b);
        NDArray d2 = d3.matMul(w[4]).muli(a2.gt(0));
        NDArray d1 = d2.matMul(w[2]).muli(a1.gt(0));
        NDArray norms = rowSquares(x).addi(1).muli(rowSquares(d1))
                .addi(rowSquares(a1).addi(1).muli(rowSquares(d2)))
                .addi(rowSquares(a2).addi(1).muli(rowSquares(d3)));
        if (lr > 0) {
            NDArray[] in = {x, a1, a2}, delta = {d1, d2, d3};
            for (int k = 0; k < 3; k++) {
                w[2 * k].subi(delta[k].transpose().matMul(in[k]).muli(lr));
                w[2 * k + 1].subi(delta[k].sum(new int[] {0}).muli(lr));
            }
        }
        return new NDList(loss, norms);
    }

    private static NDArray rowSquares(NDArray a) {
        return a.square().sum(new int[] {1});
    }

    /**
     * Compares {@link #manualMlpStep}'s norms on a tiny batch against B separate batch-of-one autograd
     * backward passes of {@code l_i / B}; prints the max relative difference, throws above 1e-3.
     */
    private static void checkNorms(NDArray[] w, NDArray x, NDArray onehot, NDManager manager) {
        int b = (int) x.getShape().get(0);
        try (NDManager check = manager.newSubManager()) {
            for (NDArray a : w) a.tempAttach(check);
            x.tempAttach(check);
            onehot.tempAttach(check);
            float[] fast = manualMlpStep(w, x, onehot, 0f).get(1).toFloatArray();
            double maxRel = 0;
            for (int i = 0; i < b; i++) {
                NDArray[] wi = new NDArray[w.length];
                for (int k = 0; k < w.length; k++) {
                    wi[k] = w[k].duplicate();
                    wi[k].setRequiresGradient(true);
                }
                NDArray xi = x.get(i + ":" + (i + 1)), yi = onehot.get(i + ":" + (i + 1));
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray h = Activation.relu(xi.matMul(wi[0].transpose()).add(wi[1]));
                    h = Activation.relu(h.matMul(wi[2].transpose()).add(wi[3]));
                    NDArray logp = h.matMul(wi[4].transpose()).add(wi[5]).logSoftmax(1);
                    collector.backward(logp.mul(yi).sum().neg().div(b));
                }
                double ref = 0;
                for (NDArray a : wi) ref += a.getGradient().square().sum().getFloat();
                maxRel = Math.max(maxRel, Math.abs(fast[i] - ref) / ref);
            }
            System.out.printf(Locale.ROOT, "mlp_norms check: per-example squared norms of %d examples against %d batch-of-one "
                    + "autograd passes: max relative difference %.2e%n", b, b, maxRel);
            if (!(maxRel <= 1e-3)) throw new IllegalStateException("mlp_norms: norms differ from the per-example loop by " + maxRel);
        }
    }

    /**
     * Runs {@code steps} steps of the Trainer (the {@code mlp} workload's step) and of {@link #manualMlpStep}
     * from the same weights and batch; prints both loss sequences, throws if they differ by more than 1e-3 (relative).
     */
    private static void checkTrajectory(String name, Trainer trainer, NDArray[] w, NDArray x, NDArray y, NDArray onehot, int steps) {
        float[] plain = new float[steps], manual = new float[steps];
        double maxRel = 0;
        for (int s = 0; s < steps; s++) {
            plain[s] = trainerStep(trainer, x, y);
            try (NDManager step = trainer.getManager().newSubManager()) {
                x.tempAttach(step);
                onehot.tempAttach(step);
                for (NDArray a : w) a.tempAttach(step);
                manual[s] = manualMlpStep(w, x, onehot, LR).get(0).getFloat();
            }
            maxRel = Math.max(maxRel, Math.abs(plain[s] - manual[s]) / Math.abs(plain[s]));
        }
        System.out.printf(Locale.ROOT, "%s check: loss of %d steps, mlp (Trainer) %s, mlp_norms (manual) %s: max relative "
                + "difference %.2e%n", name, steps, Arrays.toString(plain), Arrays.toString(manual), maxRel);
        if (!(maxRel <= 1e-3)) throw new IllegalStateException(name + ": loss trajectory differs from mlp's by " + maxRel);
    }

    /** One autograd training step of {@code trainer} on (x, y); returns the loss. */
    private static float trainerStep(Trainer trainer, NDArray x, NDArray y) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            x.tempAttach(step); // intermediates land in the step's manager and are freed with it
            y.tempAttach(step);
            NDArray loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                collector.backward(loss);
            }
            trainer.step();
            return loss.getFloat();
        }
    }

    /** Number of trainable scalars (batch-norm running statistics excluded), as Engram counts parameters. */
    private static long parameterCount(Block block) {
        long n = 0;
        for (Parameter p : block.getParameters().values()) {
            if (p.requiresGradient()) n += p.getArray().getShape().size();
        }
        return n;
    }

    private static StepTimer newTimer() {
        return new StepTimer(warmup, warmupSec, iters, minTimedSec);
    }

    private static Block conv3x3(int filters, boolean bias) {
        return conv(filters, 3, 1, 1, bias);
    }

    private static Block conv(int filters, int kernel, int stride, int padding, boolean bias) {
        return Conv2d.builder().setKernelShape(new Shape(kernel, kernel)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding)).optBias(bias).setFilters(filters).build();
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
        return convBn(channels, 3, 1, 1);
    }

    /** Conv without bias, batch-norm (eps 1e-5, PyTorch momentum 0.1 = DJL's 0.9), ReLU: Engram's {@code ConvBn}. */
    private static Block convBn(int channels, int kernel, int stride, int padding) {
        return new SequentialBlock().add(conv(channels, kernel, stride, padding, false))
                .add(BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build()).add(Activation.reluBlock());
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

    /**
     * The memorization paper's ResNet-9 for 3×32×32 inputs, as Engram's {@code ResNet9} builds it:
     * conv_bn 64 (3/1/1), conv_bn 128 (5/2/2), residual 128, conv_bn 256 (3/1/1), max-pool 2,
     * residual 256, conv_bn 128 (3/1/0), global max-pool, linear 128→10 without bias, logits × 0.2.
     */
    private static Block resnet9Paper() {
        return new SequentialBlock().add(convBn(64, 3, 1, 1))
                .add(convBn(128, 5, 2, 2)).add(residual(128))
                .add(convBn(256, 3, 1, 1)).add(maxPool(2)).add(residual(256))
                .add(convBn(128, 3, 1, 0)).add(Pool.globalMaxPool2dBlock()).add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).optBias(false).build())
                .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().mul(0.2f))));
    }

    /** Forward conv and linear MACs per sample of the paper's ResNet-9 (spatial 32, 16, 16, 16, 8, 8, 6), as Engram counts them. */
    private static double paperMacs() {
        return 32.0 * 32 * 64 * 3 * 9 + 16.0 * 16 * 128 * 64 * 25 + 2 * 16.0 * 16 * 128 * 128 * 9
                + 16.0 * 16 * 256 * 128 * 9 + 2 * 8.0 * 8 * 256 * 256 * 9 + 6.0 * 6 * 128 * 256 * 9 + 128.0 * 10;
    }

    private static Block mlp() {
        return new SequentialBlock().add(Linear.builder().setUnits(512).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(512).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
    }
}
