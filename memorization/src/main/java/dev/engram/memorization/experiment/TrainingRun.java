package dev.engram.memorization.experiment;

import dev.engram.datasets.Augmentation;
import dev.engram.datasets.Batch;
import dev.engram.datasets.DataLoader;
import dev.engram.datasets.Dataset;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.Normalization;
import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.io.TrainingState;
import dev.engram.nn.optim.Constant;
import dev.engram.nn.optim.LrSchedule;
import dev.engram.nn.optim.OneCycleTriangular;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training run of an experiment (spec §1.5): trains the configured model on the noisy training labels with SGD
 * and the configured schedule, keeps a checkpoint at initialisation and after every epoch (weights, optimizer state,
 * training state, via {@link Checkpoint}), and after every epoch evaluates every training example (against its
 * training label, so accuracy on noisy examples is memorization) and the test set. It writes
 * {@code analyses/training/}: {@code accuracy.csv}, {@code results.json}, charts, and
 * {@code per-example.safetensors} with the per-example correctness, loss and margin after every epoch (rows = epochs
 * 0..E), which the per-example scores analysis reads.
 */
public final class TrainingRun {
    /** File with the per-example trajectories. */
    public static final String PER_EXAMPLE = "per-example.safetensors";
    /** Evaluation batch size. */
    public static final int EVAL_BATCH = 1000;
    /** Input normalization of every run (pixels to [−1, 1], spec §1.1). */
    public static final Normalization NORMALIZATION = Normalization.PAPER;

    /** Progress callbacks. */
    public interface Listener {
        /** After every epoch (epoch 0 = evaluation of the initial model). */
        void epochDone(EpochStats stats);

        /** A listener that ignores everything. */
        Listener NONE = s -> { };
    }

    /**
     * Numbers of one epoch.
     *
     * @param epoch         epoch number (0 = initial model, before training)
     * @param learningRate  learning rate of the epoch's last step (0 for epoch 0)
     * @param trainLoss     mean training loss over the epoch's batches (train mode; NaN for epoch 0)
     * @param cleanAccuracy accuracy on clean training examples (eval mode)
     * @param noisyAccuracy accuracy on noisy training examples w.r.t. their noisy label (memorization); NaN without noise
     * @param testAccuracy  test accuracy
     * @param seconds       wall time of training + evaluation of the epoch
     */
    public record EpochStats(int epoch, double learningRate, double trainLoss, double cleanAccuracy,
                             double noisyAccuracy, double testAccuracy, double seconds) { }

    private TrainingRun() { }

    /**
     * Creates the run folder of a new experiment: corrupts the training labels with the config's noise fraction and
     * seed (spec §1.2) and writes config, provenance and noise file.
     */
    public static RunFolder create(Path dir, ExperimentConfig config, Dataset train, List<String> commandLine)
            throws IOException {
        NoisyLabels noise = LabelNoise.corrupt(train, config.noiseFraction(), config.seed());
        return RunFolder.create(dir, config, noise, Provenance.capture(commandLine, List.of(config.seed())));
    }

    /**
     * Trains the run's model from scratch and writes checkpoints and the training analysis.
     *
     * @param train the training set with its original labels (the run's noisy labels are applied here)
     * @param test  the test set
     * @return one entry per epoch, epoch 0 first
     */
    public static List<EpochStats> train(RunFolder run, Dataset train, Dataset test, Listener listener)
            throws IOException {
        ExperimentConfig cfg = run.config();
        NoisyLabels noise = run.noise();
        Dataset labeled = noise.applyTo(train);
        int[] clean = noise.cleanIndices();
        int[] noisy = noise.noisyIndices();
        Module model = Models.create(cfg.model(), train.channels(), train.height(), train.width(), train.numClasses(),
                cfg.seed());
        Sgd opt = Sgd.builder(model).learningRate(cfg.peakLr()).momentum(cfg.momentum())
                .weightDecay(cfg.weightDecay()).build();
        DataLoader loader = DataLoader.builder(labeled).batchSize(cfg.batchSize()).shuffle(true, cfg.seed())
                .augmentation(cfg.augmentation() ? Augmentation.cropAndFlip(cfg.seed()) : Augmentation.NONE)
                .normalization(NORMALIZATION).build();
        LrSchedule schedule = schedule(cfg, loader.batchesPerEpoch());
        Path ckDir = run.checkpointsDir();
        Path outDir = run.analysisDir(AnalysisKind.TRAINING.dirName());

        int epochs = cfg.epochs();
        int n = labeled.size();
        float[] correct = new float[(epochs + 1) * n];
        float[] loss = new float[(epochs + 1) * n];
        float[] margin = new float[(epochs + 1) * n];
        List<EpochStats> stats = new ArrayList<>();
        long step = 0;
        try (loader) {
            for (int e = 0; e <= epochs; e++) {
                long t0 = System.nanoTime();
                double lossSum = Double.NaN;
                double lr = 0;
                if (e > 0) {
                    model.train(true);
                    loader.setEpoch(e - 1);
                    lossSum = 0;
                    int seen = 0;
                    int b = 0;
                    for (Batch batch : loader) {
                        lr = schedule.lr(step);
                        opt.setLearningRate(lr);
                        try (TensorScope s = Tensors.scope()) {
                            Tensor x = Tensor.of(batch.x(), batch.size(), batch.channels(), batch.height(), batch.width());
                            Tensor l = Functional.crossEntropy(model.forward(x), Tensor.ofInts(batch.y(), batch.size()));
                            float lv = l.item();
                            if (!Float.isFinite(lv)) {
                                throw new IllegalStateException("training loss is " + lv + " at epoch " + e + ", batch "
                                        + b + " (learning rate " + lr + "); lower --lr or check the data");
                            }
                            opt.zeroGrad();
                            l.backward();
                            opt.step();
                            lossSum += (double) lv * batch.size();
                            seen += batch.size();
                        }
                        step++;
                        b++;
                    }
                    lossSum /= Math.max(1, seen);
                }
                // optimizer state only with the last checkpoint (enough to continue training; halves the disk use)
                Checkpoint.save(ckDir, Checkpoint.epochName(e), model, e == epochs ? opt : null, TrainingState.of(e, step));
                PerExampleEval ev = PerExampleEval.run(model, labeled, EVAL_BATCH, NORMALIZATION);
                for (int i = 0; i < n; i++) {
                    correct[e * n + i] = ev.correct()[i] ? 1f : 0f;
                    loss[e * n + i] = ev.loss()[i];
                    margin[e * n + i] = ev.margin()[i];
                }
                double testAcc = PerExampleEval.run(model, test, EVAL_BATCH, NORMALIZATION).accuracy();
                EpochStats st = new EpochStats(e, lr, lossSum, ev.accuracy(clean), ev.accuracy(noisy), testAcc,
                        (System.nanoTime() - t0) / 1e9);
                stats.add(st);
                writeTable(outDir, stats);
                listener.epochDone(st);
            }
        }
        Map<String, Tensor> traj = new LinkedHashMap<>();
        traj.put("correct", Tensor.of(correct, epochs + 1, n));
        traj.put("loss", Tensor.of(loss, epochs + 1, n));
        traj.put("margin", Tensor.of(margin, epochs + 1, n));
        SafeTensors.write(outDir.resolve(PER_EXAMPLE), traj, Map.of("rows", "epochs 0.." + epochs,
                "columns", "training examples 0.." + (n - 1), "labels", "training (noisy) labels"));
        writeSummary(run, outDir, stats, noisy.length > 0);
        run.markFinished();
        return stats;
    }

    /** The per-iteration learning-rate schedule of {@code cfg}. */
    public static LrSchedule schedule(ExperimentConfig cfg, int batchesPerEpoch) {
        return switch (cfg.schedule()) {
            case "warmup-cosine" -> {
                if (Math.abs(cfg.warmupFraction() - 0.1) > 1e-12) {
                    throw new IllegalArgumentException("schedule warmup-cosine warms up over 10% of the steps (as the"
                            + " paper's code); config has warmupFraction " + cfg.warmupFraction());
                }
                yield WarmupCosine.forEpochs(cfg.peakLr(), cfg.epochs(), batchesPerEpoch);
            }
            case "triangle" -> OneCycleTriangular.forEpochs(cfg.peakLr(),
                    Math.max(1, (int) Math.round(cfg.warmupFraction() * cfg.epochs())), cfg.epochs(), batchesPerEpoch + 1);
            case "constant" -> new Constant(cfg.peakLr());
            default -> throw new IllegalArgumentException("unknown schedule " + cfg.schedule());
        };
    }

    private static void writeTable(Path outDir, List<EpochStats> stats) throws IOException {
        CsvTable t = new CsvTable("epoch", "learning_rate", "train_loss", "clean_train_accuracy",
                "noisy_train_accuracy", "test_accuracy", "seconds");
        for (EpochStats s : stats) {
            t.addRow(s.epoch(), s.learningRate(), s.trainLoss(), s.cleanAccuracy(), s.noisyAccuracy(), s.testAccuracy(),
                    s.seconds());
        }
        t.write(outDir.resolve("accuracy.csv"));
    }

    private static void writeSummary(RunFolder run, Path outDir, List<EpochStats> stats, boolean hasNoisy)
            throws IOException {
        int m = stats.size();
        double[] ep = new double[m], clean = new double[m], noisy = new double[m], test = new double[m];
        double[] lossEp = new double[m - 1], lossV = new double[m - 1];
        for (int i = 0; i < m; i++) {
            EpochStats s = stats.get(i);
            ep[i] = s.epoch();
            clean[i] = s.cleanAccuracy();
            noisy[i] = s.noisyAccuracy();
            test[i] = s.testAccuracy();
            if (i > 0) {
                lossEp[i - 1] = s.epoch();
                lossV[i - 1] = s.trainLoss();
            }
        }
        List<Charts.Series> series = new ArrayList<>();
        series.add(Charts.Series.of("clean train", ep, clean));
        if (hasNoisy) series.add(Charts.Series.of("noisy train (memorized)", ep, noisy));
        series.add(Charts.Series.of("test", ep, test));
        Charts.line(outDir.resolve("accuracy.png"), "Accuracy during training", "epoch", "accuracy", series);
        if (m > 1) {
            Charts.line(outDir.resolve("loss.png"), "Training loss", "epoch", "mean cross-entropy",
                    List.of(Charts.Series.of("train loss", lossEp, lossV)));
        }
        EpochStats last = stats.get(m - 1);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epochs", last.epoch());
        r.put("trainExamples", run.noise().size());
        r.put("noisyExamples", run.noise().noisyCount());
        r.put("finalCleanTrainAccuracy", last.cleanAccuracy());
        r.put("finalNoisyTrainAccuracy", last.noisyAccuracy());
        r.put("finalTestAccuracy", last.testAccuracy());
        r.put("trainingSeconds", stats.stream().mapToDouble(EpochStats::seconds).sum());
        r.put("cleanTrainAccuracy", clean);
        r.put("noisyTrainAccuracy", noisy);
        r.put("testAccuracy", test);
        run.writeResults(AnalysisKind.TRAINING.dirName(), r);
    }
}
