package dev.engram.memorization.train;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.NoisyLabels;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.gradients.EpochAccount;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.gradients.GradientAccountingListener;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.RunLock;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.train.EpochMetrics;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.Trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training run of an experiment (docs/methods.md §1.5) on the nn {@link Trainer}: trains the configured model on the noisy
 * training labels with SGD (momentum, coupled weight decay) or AdamW and the configured per-iteration schedule (warm-up +
 * cosine by default, {@code data.TrainingRecipe}) and the run's training methods against memorization
 * ({@link MethodRecipe}, docs/methods.md §10), keeps a checkpoint at initialisation ({@code epoch-000}) and
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
 * ({@link GradientAccountingListener}) into {@code analyses/grad-accounting/}. Every epoch also measures the
 * {@linkplain Susceptibility susceptibility} to random labels of the weights. With
 * {@link ExperimentConfig#trackWeightNorms()} the layer groups' weight norms are recorded before every optimizer step
 * ({@link WeightNormRecorder}). The per-epoch records are
 * {@link EpochRecords}; the table, charts and summary {@link TrainingReport}.
 */
public final class TrainingRun {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingRun.class);

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
     * @param susceptibility the fit a probe step gains on randomly labelled held-out data at the epoch's weights,
     *                      {@code Δ} of {@link Susceptibility} (NaN in records written before it was measured)
     */
    public record EpochStats(int epoch, double learningRate, double trainLoss, double cleanAccuracy,
                             double noisyAccuracy, double testAccuracy, double seconds, double susceptibility) {
        /** Numbers without a susceptibility measurement. */
        public EpochStats(int epoch, double learningRate, double trainLoss, double cleanAccuracy, double noisyAccuracy,
                          double testAccuracy, double seconds) {
            this(epoch, learningRate, trainLoss, cleanAccuracy, noisyAccuracy, testAccuracy, seconds, Double.NaN);
        }
    }

    /**
     * How to run.
     *
     * @param gradAccounting do gradient accounting during training (three backward passes per batch instead of one)
     * @param progress       the trainer's progress display
     * @param listener       called after every epoch
     */
    public record Options(boolean gradAccounting, ProgressMode progress, Listener listener) {
        /** No accounting, no progress display, no listener. */
        public static final Options DEFAULTS = new Options(false, ProgressMode.NONE, Listener.NONE);

        /** Checks for nulls. */
        public Options {
            if (progress == null || listener == null) throw new IllegalArgumentException("TrainingRun.Options: null progress or listener");
        }
    }

    private TrainingRun() { }

    /**
     * Creates the run folder of a new experiment: corrupts the training labels with the config's noise fraction and
     * seed (docs/methods.md §1.2) and writes config, provenance and noise file, and for an own dataset the per-channel
     * normalization of the training examples ({@link RunData#normalization()}).
     */
    public static RunFolder create(Path dir, ExperimentConfig config, Dataset train, List<String> commandLine)
            throws IOException {
        Dataset first = config.trainSubset() > 0 ? RunData.firstN(train, config.trainSubset(), "the configuration") : train;
        NoisyLabels noise = LabelNoise.corrupt(first, config.noiseFraction(), config.seed());
        dev.engram.datasets.Normalization norm = RunData.trainingNormalization(config, first); // before writing
        RunFolder folder = RunFolder.create(dir, config, noise, Provenance.capture(commandLine, List.of(config.seed())));
        if (config.ownDataset()) RunData.writeNormalization(dir, norm);
        return folder;
    }

    /** Trains the run's model from scratch (see {@link #train(RunData, Options)}). */
    public static List<EpochStats> train(RunData data, Listener listener) throws IOException {
        return train(data, new Options(false, ProgressMode.NONE, listener));
    }

    /**
     * Trains the run's model from scratch and writes checkpoints and the training analysis.
     *
     * @return one entry per epoch, epoch 0 first
     * @throws RunFolderException when the run already has checkpoints (continue it with {@link #resume})
     */
    public static List<EpochStats> train(RunData data, Options options) throws IOException {
        RunFolder run = data.run();
        if (!Checkpoint.epochs(run.checkpointsDir()).isEmpty()) {
            throw new RunFolderException(run.checkpointsDir(), "run " + run.dir() + " already has checkpoints "
                    + Checkpoint.epochs(run.checkpointsDir()) + "; continue it with `engram train --run " + run.dir()
                    + " --resume` or train into a new folder");
        }
        return execute(data, options, false);
    }

    /**
     * Continues an interrupted run from its latest complete checkpoint (weights, optimizer state, step count) and
     * trains the remaining epochs; the batches of every epoch are the same as in an uninterrupted run, so the final
     * weights are too. Epoch evaluations written before the interruption are kept; one missing for a checkpointed
     * epoch is recomputed from that checkpoint. A run without checkpoints is trained from scratch.
     */
    public static List<EpochStats> resume(RunData data, Options options) throws IOException {
        return execute(data, options, !Checkpoint.epochs(data.run().checkpointsDir()).isEmpty());
    }

    private static List<EpochStats> execute(RunData data, Options options, boolean resume) throws IOException {
        try (RunLock lock = RunLock.acquire(data.run().dir(), resume ? "engram train --resume" : "engram train")) {
            return executeLocked(data, options, resume);
        }
    }

    private static List<EpochStats> executeLocked(RunData data, Options options, boolean resume) throws IOException {
        RunFolder run = data.run();
        Checkpoint.removeLeftovers(run.checkpointsDir(), false); // what killed writes left, now that we hold the lock
        run.recoverInterruptedWrites();
        if (resume) run.requireConfigAsCreated();
        ExperimentConfig cfg = run.config();
        NoisyLabels noise = run.noise();
        Dataset labeled = data.labeledTrain();
        int[] noisy = noise.noisyIndices();
        Module model = data.newModel();
        Path ckDir = run.checkpointsDir();
        Path outDir = run.analysisDir(AnalysisKind.TRAINING.dirName());
        Path records = outDir.resolve(EpochRecords.FOLDER);
        Files.createDirectories(records);
        int epochs = cfg.epochs();
        List<EpochStats> stats = new ArrayList<>();
        if (options.gradAccounting() && cfg.methods().jocor()) {
            throw new IllegalArgumentException("gradient accounting reads one network's gradients; run " + run.dir()
                    + " trains two (JoCoR): train without --grad-accounting");
        }
        GradientAccountingListener accounting = options.gradAccounting() && noisy.length > 0
                ? new GradientAccountingListener(model, noise.mask()) : null;
        Susceptibility probe = susceptibility(data);
        WeightNormRecorder norms = null;
        if (cfg.trackWeightNorms()) {
            long resumeStep = -1;
            if (resume) {
                List<Integer> saved = Checkpoint.epochs(ckDir);
                resumeStep = Checkpoint.readState(ckDir, Checkpoint.epochName(saved.get(saved.size() - 1))).globalStep();
            }
            norms = new WeightNormRecorder(model, outDir.resolve(WeightNormRecorder.FILE), resumeStep);
            if (resume && norms.lastStep() < resumeStep - 1) {
                LOG.warn("{} ends at step {}, before the checkpoint's step {}: the steps between are missing from it",
                        WeightNormRecorder.FILE, norms.lastStep(), resumeStep);
            }
        }
        WeightNormRecorder normsRef = norms;

        try (MethodRecipe recipe = MethodRecipe.prepare(cfg, data.normalization(), labeled, data.trainSet(), model, epochs,
                LOG::info)) {
            Trainer.Builder tb = recipe.trainer().checkpointDir(ckDir).progress(options.progress())
                    .progressIntervalMillis((int) dev.engram.memorization.analysis.PlainTask.DEFAULT_INTERVAL_MILLIS)
                    .logEpochs(false); // the listener prints each epoch
            if (accounting != null) tb.stepListener(accounting);
            if (norms != null) tb.stepListener(norms);
            tb.epochListener((EpochMetrics m, Module mod) -> {
                try {
                    if (normsRef != null) normsRef.flush();
                    if (accounting != null) GradientAccounting.save(run, accounting.finishEpoch(m.epoch()));
                    long t0 = System.nanoTime();
                    EpochStats st = evaluate(mod, data, m.epoch(), m.learningRate(), m.trainLoss(), records, probe);
                    st = new EpochStats(st.epoch(), st.learningRate(), st.trainLoss(), st.cleanAccuracy(),
                            st.noisyAccuracy(), st.testAccuracy(), m.seconds() + (System.nanoTime() - t0) / 1e9,
                            st.susceptibility());
                    EpochRecords.save(records, st, null);
                    mod.train(true);
                    stats.add(st);
                    TrainingReport.writeTable(outDir, stats);
                    options.listener().epochDone(st);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Trainer trainer = tb.build();
            try {
                if (resume) {
                    List<Integer> saved = Checkpoint.epochs(ckDir);
                    int last = saved.get(saved.size() - 1);
                    verifyCheckpoints(data, saved);
                    stats.addAll(restoreRecords(data, records, last, probe));
                    TrainingReport.writeTable(outDir, stats);
                    for (EpochStats s : stats) options.listener().epochDone(s);
                    if (last < epochs) trainer.resume(ckDir);
                } else {
                    EpochStats st = evaluate(model, data, 0, 0, Double.NaN, records, probe);
                    model.train(true);
                    stats.add(st);
                    TrainingReport.writeTable(outDir, stats);
                    options.listener().epochDone(st);
                    trainer.fit();
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (stats.size() != epochs + 1) {
            throw new IllegalStateException("training run " + run.dir() + " ended with " + stats.size()
                    + " epoch evaluations, expected " + (epochs + 1) + " (early stop is not used by experiment runs)");
        }
        EpochRecords.writeTrajectories(records, outDir, epochs, labeled.size());
        TrainingReport.writeSummary(run, outDir, stats, noisy.length > 0, noisy.length < labeled.size());
        if (norms != null) norms.writeCharts(outDir, cfg.optimizer());
        if (accounting != null || (resume && Files.isDirectory(GradientAccounting.recordsDir(run,
                EpochAccount.DURING_TRAINING)))) {
            if (!GradientAccounting.readRecords(run, EpochAccount.DURING_TRAINING).isEmpty()) {
                GradientAccounting.summarize(run, EpochAccount.DURING_TRAINING);
            }
        }
        run.markFinished();
        return stats;
    }

    /**
     * The run's susceptibility probe ({@link Susceptibility}): the test images, randomly labelled, batches of the run's
     * batch size, steps at its peak learning rate with its weight decay.
     */
    static Susceptibility susceptibility(RunData data) throws IOException {
        ExperimentConfig c = data.config();
        return new Susceptibility(data.testSet(), c.batchSize(), c.peakLr(), c.weightDecay(), c.seed());
    }

    /**
     * Evaluates every training example and the test set (eval mode) and measures the susceptibility; writes the
     * epoch's per-example record.
     */
    private static EpochStats evaluate(Module model, RunData data, int epoch, double lr, double trainLoss, Path records,
                                       Susceptibility probe) throws IOException {
        long start = System.nanoTime();
        model.eval();
        Evaluation.PerExample ev = Evaluation.run(model, data.trainSet(), RunData.EVAL_BATCH);
        double testAcc = Evaluation.run(model, data.testSet(), RunData.EVAL_BATCH).accuracy();
        double zeta = probe.probe(model, epoch);
        model.eval();
        EpochStats st = new EpochStats(epoch, lr, trainLoss, ev.accuracy(data.cleanIndices()),
                ev.accuracy(data.noisyIndices()), testAcc, (System.nanoTime() - start) / 1e9, zeta);
        EpochRecords.save(records, st, ev);
        return st;
    }

    /**
     * Reads every saved checkpoint against the run's model (names, shapes, finite values), so that a resume never
     * builds on a damaged file.
     *
     * @throws RunFolderException naming every damaged checkpoint
     */
    private static void verifyCheckpoints(RunData data, List<Integer> epochs) throws IOException {
        Module probe = data.newModel();
        List<String> damaged = new ArrayList<>();
        for (int e = 0; e <= epochs.get(epochs.size() - 1); e++) {
            try { // parameters are checked by the read; the buffers (running statistics) too, since training goes on
                Checkpoint.NonFinite bad = Checkpoint.firstNonFinite(data.checkpoint(e, probe));
                if (bad != null) {
                    throw new RunFolderException(data.run().checkpointPath(e), "checkpoint "
                            + data.run().checkpointPath(e) + " holds a non-finite value: " + bad);
                }
            } catch (RunFolderException ex) {
                damaged.add(ex.getMessage());
            }
        }
        // the state and optimizer files of the checkpoint training continues from
        Path dir = data.run().checkpointsDir();
        String last = Checkpoint.epochName(epochs.get(epochs.size() - 1));
        try {
            Checkpoint.readState(dir, last); // a malformed state file fails here, naming itself
            com.google.gson.JsonElement saved = com.google.gson.JsonParser.parseString(
                    Files.readString(Checkpoint.stateFile(dir, last))).getAsJsonObject().get("optimizer");
            boolean continues = epochs.get(epochs.size() - 1) < data.config().epochs(); // a finished run trains no more
            Path optim = Checkpoint.optimizerFile(dir, last);
            if (continues && saved != null && !saved.isJsonNull()) {
                if (!Files.isRegularFile(optim)) damaged.add(optim + " is missing (the optimizer's momentum at that checkpoint)");
                else dev.engram.nn.io.SafeTensors.readHeader(optim);
            }
        } catch (IOException | RuntimeException ex) {
            damaged.add(ex.getMessage());
        }
        if (!damaged.isEmpty()) {
            throw new RunFolderException(data.run().checkpointsDir(), "cannot resume run " + data.run().dir() + ": "
                    + damaged.size() + " damaged checkpoint(s): " + String.join("; ", damaged)
                    + "; delete the damaged files from the last one on and resume again, or train into a new folder");
        }
    }

    /** The evaluations of epochs 0..last, from their records or (when missing or unreadable) from the checkpoints. */
    private static List<EpochStats> restoreRecords(RunData data, Path records, int last, Susceptibility probe)
            throws IOException {
        RunFolder run = data.run();
        List<EpochStats> out = new ArrayList<>();
        Module model = null;
        for (int e = 0; e <= last; e++) {
            EpochStats st = EpochRecords.read(records, e, run.noise().size());
            if (st == null) {
                if (model == null) model = data.newModel();
                data.loadCheckpoint(e, model);
                double lr = Double.NaN, trainLoss = Double.NaN;
                if (e > 0 && Checkpoint.exists(run.checkpointsDir(), Checkpoint.epochName(e))) {
                    var s = Checkpoint.readState(run.checkpointsDir(), Checkpoint.epochName(e)).metrics();
                    lr = s.getOrDefault("lr", Double.NaN);
                    trainLoss = s.getOrDefault("train.loss", Double.NaN);
                }
                st = evaluate(model, data, e, e == 0 ? 0 : lr, trainLoss, records, probe);
            }
            out.add(st);
        }
        return out;
    }
}
