package dev.engram.memorization.experiment;

import dev.engram.datasets.Augmentation;
import dev.engram.datasets.DataLoader;
import dev.engram.datasets.Dataset;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.Normalization;
import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Tensor;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccountingListener;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.Models;
import dev.engram.nn.optim.Constant;
import dev.engram.nn.optim.LrSchedule;
import dev.engram.nn.optim.OneCycleTriangular;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;
import dev.engram.nn.train.EpochMetrics;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training run of an experiment (spec §1.5) on the nn {@link Trainer}: trains the configured model on the noisy
 * training labels with SGD (momentum, coupled weight decay) and the configured per-iteration schedule (warm-up +
 * cosine by default, {@link WarmupCosine#forEpochs}), keeps a checkpoint at initialisation ({@code epoch-000}) and
 * after every epoch in the run's {@code checkpoints/} (weights of every epoch, optimizer state with the latest one, so
 * an interrupted run can be {@linkplain #resume resumed}), stops with the trainer's divergence report on a non-finite
 * loss, and after every epoch evaluates every training example (against its training label, so accuracy on noisy
 * examples is memorization) and the test set.
 *
 * <p>It writes {@code analyses/training/}: {@code accuracy.csv}, {@code results.json}, charts, and
 * {@code per-example.safetensors} with the per-example correctness, loss and margin after every epoch (rows = epochs
 * 0..E), which the per-example scores analysis reads. Each epoch's evaluation is also kept in
 * {@code analyses/training/epochs/epoch-NNN.safetensors} as soon as it is done, so a resumed run keeps the epochs
 * before the interruption. With {@link Options#gradAccounting()} the run also does gradient accounting
 * ({@link GradientAccountingListener}) into {@code analyses/grad-accounting/}.
 */
public final class TrainingRun {
    /** File with the per-example trajectories. */
    public static final String PER_EXAMPLE = "per-example.safetensors";
    /** Sub-folder of {@code analyses/training} with one evaluation record per epoch. */
    public static final String EPOCH_RECORDS = "epochs";
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

    /**
     * How to run.
     *
     * @param gradAccounting do gradient accounting during training (three backward passes per batch instead of one)
     * @param progress       the trainer's progress display
     * @param listener       called after every epoch
     */
    public record Options(boolean gradAccounting, ProgressMode progress, Listener listener) {
        /** Checks for nulls. */
        public Options {
            if (progress == null || listener == null) throw new IllegalArgumentException("TrainingRun.Options: null progress or listener");
        }

        /** No accounting, no progress display, no listener. */
        public static Options defaults() {
            return new Options(false, ProgressMode.NONE, Listener.NONE);
        }

        /** Copy with gradient accounting on or off. */
        public Options withGradAccounting(boolean on) {
            return new Options(on, progress, listener);
        }

        /** Copy with another listener. */
        public Options withListener(Listener l) {
            return new Options(gradAccounting, progress, l);
        }

        /** Copy with another progress display. */
        public Options withProgress(ProgressMode p) {
            return new Options(gradAccounting, p, listener);
        }
    }

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
     * A freshly initialised model of the run's configuration for images of {@code data}'s shape (nn's
     * {@link Models#create}; {@code small-cnn} is accepted as another name of {@code cnn}). Every model has layer groups.
     *
     * @throws IllegalArgumentException for an unknown model or non-square images
     */
    public static Module createModel(ExperimentConfig cfg, Dataset data) {
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("model " + cfg.model() + " needs square images, got " + data.height()
                    + "×" + data.width());
        }
        String name = cfg.model().equals("small-cnn") ? "cnn" : cfg.model();
        Module m = Models.create(name, data.channels(), data.height(), data.numClasses(), cfg.seed());
        if (!(m instanceof HasLayerGroups)) {
            throw new IllegalArgumentException("model " + cfg.model() + " does not define layer groups");
        }
        return m;
    }

    /** Trains the run's model from scratch (see {@link #train(RunFolder, Dataset, Dataset, Options)}). */
    public static List<EpochStats> train(RunFolder run, Dataset train, Dataset test, Listener listener)
            throws IOException {
        return train(run, train, test, Options.defaults().withListener(listener));
    }

    /**
     * Trains the run's model from scratch and writes checkpoints and the training analysis.
     *
     * @param train the training set with its original labels (the run's noisy labels are applied here)
     * @param test  the test set
     * @return one entry per epoch, epoch 0 first
     * @throws RunFolderException when the run already has checkpoints (continue it with {@link #resume})
     */
    public static List<EpochStats> train(RunFolder run, Dataset train, Dataset test, Options options)
            throws IOException {
        if (!Checkpoint.epochs(run.checkpointsDir()).isEmpty()) {
            throw new RunFolderException(run.checkpointsDir(), "run " + run.dir() + " already has checkpoints "
                    + Checkpoint.epochs(run.checkpointsDir()) + "; continue it with `engram train --run " + run.dir()
                    + " --resume` or train into a new folder");
        }
        return execute(run, train, test, options, false);
    }

    /**
     * Continues an interrupted run from its latest complete checkpoint (weights, optimizer state, step count) and
     * trains the remaining epochs; the batches of every epoch are the same as in an uninterrupted run, so the final
     * weights are too. Epoch evaluations written before the interruption are kept; one missing for a checkpointed
     * epoch is recomputed from that checkpoint. A run without checkpoints is trained from scratch.
     */
    public static List<EpochStats> resume(RunFolder run, Dataset train, Dataset test, Options options)
            throws IOException {
        return execute(run, train, test, options, !Checkpoint.epochs(run.checkpointsDir()).isEmpty());
    }

    private static List<EpochStats> execute(RunFolder run, Dataset train, Dataset test, Options options, boolean resume)
            throws IOException {
        ExperimentConfig cfg = run.config();
        NoisyLabels noise = run.noise();
        if (noise.size() != train.size()) {
            throw new IllegalArgumentException("run " + run.dir() + " has labels for " + noise.size()
                    + " training examples but the training set given has " + train.size()
                    + " (check the dataset and --subset)");
        }
        Dataset labeled = noise.applyTo(train);
        int[] clean = noise.cleanIndices();
        int[] noisy = noise.noisyIndices();
        Module model = createModel(cfg, train);
        Sgd opt = Sgd.builder(model).learningRate(cfg.peakLr()).momentum(cfg.momentum())
                .weightDecay(cfg.weightDecay()).build();
        DataLoader loader = DataLoader.builder(labeled).batchSize(cfg.batchSize()).shuffle(true, cfg.seed())
                .augmentation(cfg.augmentation() ? Augmentation.cropAndFlip(cfg.seed()) : Augmentation.NONE)
                .normalization(NORMALIZATION).build();
        Path ckDir = run.checkpointsDir();
        Path outDir = run.analysisDir(AnalysisKind.TRAINING.dirName());
        Path records = outDir.resolve(EPOCH_RECORDS);
        Files.createDirectories(records);
        int epochs = cfg.epochs();
        List<EpochStats> stats = new ArrayList<>();
        GradientAccountingListener accounting = options.gradAccounting() && noisy.length > 0
                ? new GradientAccountingListener(model, noise.mask()) : null;

        try (LoaderBatchSource source = new LoaderBatchSource(loader)) {
            Trainer.Builder tb = Trainer.builder().model(model).optimizer(opt)
                    .schedule(schedule(cfg, source.batchesPerEpoch())).epochs(epochs).trainData(source)
                    .checkpointDir(ckDir).progress(options.progress());
            if (accounting != null) tb.stepListener(accounting);
            tb.epochListener((EpochMetrics m, Module mod) -> {
                try {
                    if (accounting != null) GradientAccounting.save(run, accounting.finishEpoch(m.epoch()));
                    long t0 = System.nanoTime();
                    EpochStats st = evaluate(mod, m.epoch(), m.learningRate(), m.trainLoss(), labeled, test, clean, noisy,
                            records, 0);
                    st = new EpochStats(st.epoch(), st.learningRate(), st.trainLoss(), st.cleanAccuracy(),
                            st.noisyAccuracy(), st.testAccuracy(), m.seconds() + (System.nanoTime() - t0) / 1e9);
                    saveRecord(records, st, null);
                    mod.train(true);
                    stats.add(st);
                    writeTable(outDir, stats);
                    options.listener().epochDone(st);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Trainer trainer = tb.build();
            try {
                if (resume) {
                    int last = Checkpoint.epochs(ckDir).get(Checkpoint.epochs(ckDir).size() - 1);
                    stats.addAll(restoreRecords(run, cfg, train, labeled, test, clean, noisy, records, last));
                    writeTable(outDir, stats);
                    for (EpochStats s : stats) options.listener().epochDone(s);
                    if (last < epochs) trainer.resume(ckDir);
                } else {
                    long t0 = System.nanoTime();
                    EpochStats st = evaluate(model, 0, 0, Double.NaN, labeled, test, clean, noisy, records, t0);
                    saveRecord(records, st, null);
                    model.train(true);
                    stats.add(st);
                    writeTable(outDir, stats);
                    options.listener().epochDone(st);
                    trainer.fit();
                }
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (stats.size() != epochs + 1) {
            throw new IllegalStateException("training run " + run.dir() + " ended with " + stats.size()
                    + " epoch evaluations, expected " + (epochs + 1) + " (early stop is not used by experiment runs)");
        }
        int n = labeled.size();
        float[] correct = new float[(epochs + 1) * n];
        float[] loss = new float[(epochs + 1) * n];
        float[] margin = new float[(epochs + 1) * n];
        for (int e = 0; e <= epochs; e++) {
            Map<String, Tensor> t = SafeTensors.load(records.resolve(recordName(e)));
            System.arraycopy(t.get("correct").toFloatArray(), 0, correct, e * n, n);
            System.arraycopy(t.get("loss").toFloatArray(), 0, loss, e * n, n);
            System.arraycopy(t.get("margin").toFloatArray(), 0, margin, e * n, n);
        }
        Map<String, Tensor> traj = new LinkedHashMap<>();
        traj.put("correct", Tensor.of(correct, epochs + 1, n));
        traj.put("loss", Tensor.of(loss, epochs + 1, n));
        traj.put("margin", Tensor.of(margin, epochs + 1, n));
        SafeTensors.write(outDir.resolve(PER_EXAMPLE), traj, Map.of("rows", "epochs 0.." + epochs,
                "columns", "training examples 0.." + (n - 1), "labels", "training (noisy) labels"));
        writeSummary(run, outDir, stats, noisy.length > 0);
        if (accounting != null || (resume && Files.isDirectory(GradientAccounting.recordsDir(run,
                EpochAccount.DURING_TRAINING)))) {
            if (!GradientAccounting.readRecords(run, EpochAccount.DURING_TRAINING).isEmpty()) {
                GradientAccounting.summarize(run, EpochAccount.DURING_TRAINING);
            }
        }
        run.markFinished();
        return stats;
    }

    /** Evaluates every training example and the test set; writes the epoch's per-example record. */
    private static EpochStats evaluate(Module model, int epoch, double lr, double trainLoss, Dataset labeled,
                                       Dataset test, int[] clean, int[] noisy, Path records, long t0) throws IOException {
        long start = t0 == 0 ? System.nanoTime() : t0;
        PerExampleEval ev = PerExampleEval.run(model, labeled, EVAL_BATCH, NORMALIZATION);
        double testAcc = PerExampleEval.run(model, test, EVAL_BATCH, NORMALIZATION).accuracy();
        EpochStats st = new EpochStats(epoch, lr, trainLoss, ev.accuracy(clean), ev.accuracy(noisy), testAcc,
                (System.nanoTime() - start) / 1e9);
        saveRecord(records, st, ev);
        return st;
    }

    private static String recordName(int epoch) {
        return String.format(Locale.ROOT, "epoch-%03d.safetensors", epoch);
    }

    /** Writes the per-example evaluation and numbers of an epoch; with {@code ev == null} only updates the numbers. */
    private static void saveRecord(Path records, EpochStats st, PerExampleEval ev) throws IOException {
        Path f = records.resolve(recordName(st.epoch()));
        Map<String, Tensor> t = new LinkedHashMap<>();
        if (ev == null) {
            t.putAll(SafeTensors.load(f));
        } else {
            int n = ev.size();
            float[] c = new float[n];
            for (int i = 0; i < n; i++) c[i] = ev.correct()[i] ? 1f : 0f;
            t.put("correct", Tensor.of(c, n));
            t.put("loss", Tensor.of(ev.loss(), n));
            t.put("margin", Tensor.of(ev.margin(), n));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(st.epoch()));
        meta.put("learning_rate", Double.toString(st.learningRate()));
        meta.put("train_loss", Double.toString(st.trainLoss()));
        meta.put("clean_accuracy", Double.toString(st.cleanAccuracy()));
        meta.put("noisy_accuracy", Double.toString(st.noisyAccuracy()));
        meta.put("test_accuracy", Double.toString(st.testAccuracy()));
        meta.put("seconds", Double.toString(st.seconds()));
        SafeTensors.write(f, t, meta);
    }

    /** The evaluations of epochs 0..last, from their records or (when missing or unreadable) from the checkpoints. */
    private static List<EpochStats> restoreRecords(RunFolder run, ExperimentConfig cfg, Dataset train, Dataset labeled,
                                                   Dataset test, int[] clean, int[] noisy, Path records, int last)
            throws IOException {
        List<EpochStats> out = new ArrayList<>();
        Module probe = null;
        for (int e = 0; e <= last; e++) {
            Path f = records.resolve(recordName(e));
            EpochStats st = null;
            if (Files.isRegularFile(f)) {
                try {
                    SafeTensors.Contents c = SafeTensors.read(f);
                    Map<String, String> m = c.metadata();
                    if (c.tensors().keySet().containsAll(List.of("correct", "loss", "margin"))
                            && c.tensors().get("correct").numel() == labeled.size()) {
                        st = new EpochStats(Integer.parseInt(m.get("epoch")), Double.parseDouble(m.get("learning_rate")),
                                Double.parseDouble(m.get("train_loss")), Double.parseDouble(m.get("clean_accuracy")),
                                Double.parseDouble(m.get("noisy_accuracy")), Double.parseDouble(m.get("test_accuracy")),
                                Double.parseDouble(m.get("seconds")));
                    }
                } catch (IOException | RuntimeException ex) {
                    st = null; // recomputed below
                }
            }
            if (st == null) {
                Path ck = run.requireCheckpoint(e);
                if (probe == null) probe = createModel(cfg, train);
                Map<String, Tensor> w = SafeTensors.load(ck);
                List<String> problems = Checkpoint.stateDictProblems(probe.stateDict(), w);
                if (!problems.isEmpty()) {
                    throw new RunFolderException(ck, "checkpoint " + ck + " does not match the run's model: "
                            + String.join("; ", problems));
                }
                probe.loadStateDict(w, true);
                double lr = Double.NaN, trainLoss = Double.NaN;
                if (e > 0 && Checkpoint.exists(run.checkpointsDir(), Checkpoint.epochName(e))) {
                    var s = Checkpoint.readState(run.checkpointsDir(), Checkpoint.epochName(e)).metrics();
                    lr = s.getOrDefault("lr", Double.NaN);
                    trainLoss = s.getOrDefault("train.loss", Double.NaN);
                }
                st = evaluate(probe, e, e == 0 ? 0 : lr, trainLoss, labeled, test, clean, noisy, records, 0);
            }
            out.add(st);
        }
        return out;
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
