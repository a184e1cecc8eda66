package dev.engram.nn.train;

import dev.engram.engine.Device;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.TrainingState;
import dev.engram.nn.optim.LrSchedule;
import dev.engram.nn.optim.Optimizer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Mini-batch training of a classifier.
 *
 * <p>Each iteration runs inside its own {@link Tensors#scope()}, so activations and other
 * intermediates are freed when it ends, while parameters, their gradients, buffers and optimizer
 * state (all retained) survive. An iteration: set the learning rate from the schedule for the
 * global step; zero gradients; forward in train mode inside {@link BatchContext#of(int[])}; loss;
 * listeners' {@code beforeBackward}; zero gradients again; backward; listeners' {@code afterBackward} (pre-update
 * gradients); {@code optimizer.step(recompute)} (an optimizer such as SAM may call {@code recompute} for a second
 * forward and backward pass on the same batch). A non-finite loss stops training with a
 * {@link TrainingDivergedException} naming the epoch, the step and the first parameter whose
 * gradient is non-finite. So does a model or optimizer state holding a NaN or infinite value at
 * the end of an epoch (an update on the epoch's last step can diverge while every loss was
 * finite): it is detected before evaluation and before the epoch's checkpoint is written, so a
 * non-finite state is never evaluated, saved or marked complete.
 *
 * <p>After each epoch every evaluation source is evaluated in eval mode without gradients, a
 * checkpoint {@code epoch-NNN} is written when a checkpoint directory is set ({@code epoch-000}
 * holds the initial weights), and epoch listeners run. Training can stop early after a given
 * number of (cumulative, not necessarily consecutive) epochs at 100% training accuracy.
 * {@link #resume(Path)} continues from the latest checkpoint of a directory and reproduces an
 * uninterrupted run bit for bit when the batch source's order depends only on the epoch.
 *
 * <p>Epoch numbers are 1-based in metrics, listeners and checkpoint names; the batch source is
 * asked for {@code epoch(e - 1)} when training epoch {@code e}.
 */
@SuppressWarnings("try") // scopes and contexts are opened for their effect on the enclosed code
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final String PERFECT_EPOCHS = "trainer.perfectEpochs";
    private static final String STOPPED_EARLY = "trainer.stoppedEarly";
    private static final String DATA_PREFIX = "data.";
    private static final String RANDOM_PREFIX = "random.";

    private final Module model;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final LossFunction loss;
    private final int epochs;
    private final BatchSource train;
    private final Map<String, BatchSource> evaluations;
    private final Path checkpointDir;
    private final boolean overwriteCheckpoints;
    private final boolean keepAllOptimizerStates;
    private final List<StepListener> stepListeners;
    private final List<EpochListener> epochListeners;
    private final int earlyStopPerfectEpochs;
    private final ProgressMode progress;
    private final int progressIntervalMillis;
    private final boolean logEpochs;

    private long globalStep;
    private long runStartNanos;
    private long runStartStep;
    private int perfectEpochs;

    private Trainer(Builder b) {
        this.model = Objects.requireNonNull(b.model, "Trainer: model(...) is required");
        this.optimizer = Objects.requireNonNull(b.optimizer, "Trainer: optimizer(...) is required");
        this.train = Objects.requireNonNull(b.train, "Trainer: trainData(...) is required");
        if (b.epochs <= 0) throw new IllegalArgumentException("Trainer: epochs must be > 0, got " + b.epochs);
        this.schedule = b.schedule;
        this.loss = b.loss;
        this.epochs = b.epochs;
        this.evaluations = new LinkedHashMap<>(b.evaluations);
        this.checkpointDir = b.checkpointDir;
        this.overwriteCheckpoints = b.overwriteCheckpoints;
        this.keepAllOptimizerStates = b.keepAllOptimizerStates;
        this.stepListeners = List.copyOf(b.stepListeners);
        this.epochListeners = List.copyOf(b.epochListeners);
        this.earlyStopPerfectEpochs = b.earlyStopPerfectEpochs;
        this.progress = b.progress == ProgressMode.AUTO
                ? (System.console() != null && System.getenv("CI") == null ? ProgressMode.BAR : ProgressMode.LOG)
                : b.progress;
        this.progressIntervalMillis = b.progressIntervalMillis;
        this.logEpochs = b.logEpochs;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Optimizer steps taken so far. */
    public long globalStep() {
        return globalStep;
    }

    /**
     * Trains from the model's current weights for the configured number of epochs. With a
     * checkpoint directory, writes {@code epoch-000} first; a directory that already holds
     * checkpoints is refused unless {@link Builder#overwriteCheckpoints(boolean)} allows it. Files left by a
     * killed earlier run are removed first ({@link Checkpoint#removeLeftovers}).
     */
    public TrainingHistory fit() throws IOException {
        globalStep = 0;
        perfectEpochs = 0;
        if (checkpointDir != null) {
            if (!overwriteCheckpoints && !Checkpoint.epochs(checkpointDir).isEmpty()) {
                throw new IllegalStateException("Trainer: " + checkpointDir + " already holds checkpoints "
                        + Checkpoint.epochs(checkpointDir) + "; use resume(dir), an empty directory, or overwriteCheckpoints(true)");
            }
            removeLeftovers();
            saveCheckpoint(0, Map.of(), false);
        }
        return run(0, new ArrayList<>(), false);
    }

    /**
     * Restores the latest complete checkpoint in {@code dir} (weights, buffers, optimizer state,
     * global step, early-stopping count, the batch source's state and the positions of the model's
     * random streams such as dropout's, {@link Module#randomState()}), rebuilds the history of
     * the epochs before it from their checkpoints, and trains the remaining epochs. New
     * checkpoints go to the builder's checkpoint directory, if any; files a killed run left there
     * are removed first ({@link Checkpoint#removeLeftovers}).
     */
    public TrainingHistory resume(Path dir) throws IOException {
        if (checkpointDir != null) removeLeftovers();
        List<Integer> available = Checkpoint.epochs(dir);
        if (available.isEmpty()) throw new IOException("Trainer.resume: no complete checkpoint (epoch-NNN.json + .safetensors) in " + dir);
        int last = available.get(available.size() - 1);
        TrainingState state = Checkpoint.load(dir, Checkpoint.epochName(last), model, optimizer);
        globalStep = state.globalStep();
        perfectEpochs = state.counters().getOrDefault(PERFECT_EPOCHS, 0L).intValue();
        Map<String, Long> data = new LinkedHashMap<>();
        state.counters().forEach((k, v) -> {
            if (k.startsWith(DATA_PREFIX)) data.put(k.substring(DATA_PREFIX.length()), v);
        });
        train.restoreState(data);
        Map<String, Long> random = new LinkedHashMap<>();
        state.counters().forEach((k, v) -> {
            if (k.startsWith(RANDOM_PREFIX)) random.put(k.substring(RANDOM_PREFIX.length()), v);
        });
        model.restoreRandomState(random);
        List<EpochMetrics> history = new ArrayList<>();
        for (int e = 1; e <= last; e++) {
            if (!Checkpoint.exists(dir, Checkpoint.epochName(e))) continue;
            TrainingState s = e == last ? state : Checkpoint.readState(dir, Checkpoint.epochName(e));
            history.add(EpochMetrics.fromMap(e, s.globalStep(), s.metrics()));
        }
        LOG.debug("resuming from {} at epoch {}, global step {}", dir, last, globalStep);
        return run(last, history, state.counters().getOrDefault(STOPPED_EARLY, 0L) != 0);
    }

    private TrainingHistory run(int done, List<EpochMetrics> history, boolean alreadyStopped) throws IOException {
        if (alreadyStopped) return new TrainingHistory(history, true, globalStep);
        runStartNanos = System.nanoTime();
        runStartStep = globalStep;
        boolean stopped = false;
        for (int epoch = done + 1; epoch <= epochs; epoch++) {
            EpochMetrics m = trainEpoch(epoch);
            history.add(m);
            if (m.trainAccuracy() == 1.0) perfectEpochs++;
            stopped = earlyStopPerfectEpochs > 0 && perfectEpochs >= earlyStopPerfectEpochs && epoch < epochs;
            if (checkpointDir != null) saveCheckpoint(epoch, m.toMap(), stopped);
            logEpoch(m);
            for (EpochListener l : epochListeners) l.onEpochEnd(m, model);
            if (stopped) {
                LOG.info("early stop after epoch {}: {} epochs at 100% training accuracy", epoch, perfectEpochs);
                break;
            }
        }
        return new TrainingHistory(history, stopped, globalStep);
    }

    private EpochMetrics trainEpoch(int epoch) {
        long t0 = System.nanoTime();
        model.train(true);
        Device device = modelDevice();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int stepInEpoch = 0;
        double lr = optimizer.learningRate();
        long lastLog = System.nanoTime();
        for (StepListener s : stepListeners) s.beforeEpoch(epoch, model);
        Iterator<LabeledBatch> it = train.epoch(epoch - 1).iterator();
        try (ProgressBar bar = progressBar(epoch)) {
            while (true) {
                try (TensorScope scope = Tensors.scope()) {
                    if (!it.hasNext()) break;
                    LabeledBatch batch = onDevice(it.next(), device);
                    // listeners' partial backward passes start from zero; the last step's gradient arrays are reused
                    model.recycleGrad();
                    if (schedule != null) optimizer.setLearningRate(schedule.lr(globalStep));
                    lr = optimizer.learningRate();
                    Tensor logits;
                    try (BatchContext ctx = BatchContext.of(batch.exampleIds())) {
                        logits = model.forward(batch.inputs());
                    }
                    Tensor l = loss.compute(logits, batch, epoch);
                    float value = l.item();
                    if (!Float.isFinite(value)) throw diverged(epoch, stepInEpoch, value, l, lr);
                    StepContext step = new StepContext(epoch, globalStep, stepInEpoch, batch, logits, l, model, lr);
                    for (StepListener s : stepListeners) s.beforeBackward(step);
                    model.zeroGrad();
                    l.backward();
                    for (StepListener s : stepListeners) s.afterBackward(step);
                    LabeledBatch stepBatch = batch;
                    int stepEpoch = epoch;
                    optimizer.step(() -> recomputeGradients(stepBatch, stepEpoch));
                    globalStep++;
                    stepInEpoch++;
                    correct += countCorrect(loss.predictionLogits(logits), batch.labels());
                    seen += batch.size();
                    lossSum += (double) value * batch.size();
                    if (bar != null) {
                        bar.step();
                        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f acc %.4f, %s", lossSum / seen,
                                (double) correct / seen, runTiming()));
                    } else if (progress == ProgressMode.LOG && System.nanoTime() - lastLog > progressIntervalMillis * 1_000_000L) {
                        lastLog = System.nanoTime();
                        LOG.info(String.format(Locale.ROOT, "epoch %d/%d: batch %d/%d, loss %.4f acc %.4f, %s", epoch, epochs,
                                stepInEpoch, train.batchesPerEpoch(), lossSum / seen, (double) correct / seen, runTiming()));
                    }
                }
            }
        }
        if (seen == 0) throw new IllegalStateException("Trainer: the training source yielded no batches in epoch " + epoch);
        checkFiniteState(epoch, stepInEpoch, lr);
        Map<String, EvalMetrics> eval = new LinkedHashMap<>();
        for (var e : evaluations.entrySet()) eval.put(e.getKey(), evaluate(e.getValue(), epoch - 1));
        model.train(true);
        return new EpochMetrics(epoch, lossSum / seen, (double) correct / seen, eval, lr, globalStep,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Gradients of the training loss on {@code batch} at the current weights (the second pass of {@code Sam}). */
    private void recomputeGradients(LabeledBatch batch, int epoch) {
        model.zeroGrad();
        Tensor logits;
        try (BatchContext ctx = BatchContext.of(batch.exampleIds())) {
            logits = model.forward(batch.inputs());
        }
        loss.compute(logits, batch, epoch).backward();
    }

    /**
     * Evaluates the model on {@code source}'s batches of epoch {@code epoch} in eval mode without
     * gradients: mean loss (the configured loss weighted by batch size, exact for mean losses)
     * and accuracy. The model's train/eval mode is restored afterwards.
     */
    public EvalMetrics evaluate(BatchSource source, int epoch) {
        boolean wasTraining = model.isTraining();
        model.eval();
        Device device = modelDevice();
        double lossSum = 0;
        long correct = 0, seen = 0;
        try (Grad g = Grad.disabled()) {
            Iterator<LabeledBatch> it = source.epoch(epoch).iterator();
            while (true) {
                try (TensorScope scope = Tensors.scope()) {
                    if (!it.hasNext()) break;
                    LabeledBatch batch = onDevice(it.next(), device);
                    Tensor logits;
                    try (BatchContext ctx = BatchContext.of(batch.exampleIds())) {
                        logits = model.forward(batch.inputs());
                    }
                    lossSum += (double) loss.compute(logits, batch).item() * batch.size();
                    correct += countCorrect(logits, batch.labels());
                    seen += batch.size();
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return new EvalMetrics(seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? Double.NaN : (double) correct / seen, seen);
    }

    private static long countCorrect(Tensor logits, Tensor labels) {
        int[] pred, y = labels.toIntArray();
        try (Grad g = Grad.disabled()) {
            pred = logits.argmax(1).toIntArray();
        }
        long c = 0;
        for (int k = 0; k < y.length; k++) if (pred[k] == y[k]) c++;
        return c;
    }

    private TrainingDivergedException diverged(int epoch, int stepInEpoch, float value, Tensor l, double lr) {
        String badGrad = null, badValue = null;
        try {
            model.zeroGrad();
            l.backward();
        } catch (RuntimeException e) {
            LOG.debug("backward of the non-finite loss failed", e);
        }
        for (var e : model.namedParameters().entrySet()) {
            Tensor p = e.getValue();
            if (badValue == null && !allFinite(p)) badValue = e.getKey();
            if (badGrad == null && p.grad() != null && !allFinite(p.grad())) badGrad = e.getKey();
        }
        String msg = String.format(Locale.ROOT,
                "training diverged: loss is %s at epoch %d, global step %d (batch %d of %d, learning rate %.6g); %s%s",
                value, epoch, globalStep, stepInEpoch, train.batchesPerEpoch(), lr,
                badGrad != null ? "first parameter with a non-finite gradient: '" + badGrad + "'"
                        : "no parameter gradient is non-finite (the non-finite value arose in the forward pass or the loss)",
                badValue != null ? "; first parameter with non-finite values: '" + badValue + "'" : "");
        return new TrainingDivergedException(msg, epoch, globalStep, badGrad);
    }

    /** Throws when a parameter, buffer or optimizer state holds a non-finite value after the epoch's last step. */
    private void checkFiniteState(int epoch, int steps, double lr) {
        String where = "model";
        Checkpoint.NonFinite bad = Checkpoint.firstNonFinite(model.stateDict());
        if (bad == null) {
            where = "optimizer state";
            bad = Checkpoint.firstNonFinite(optimizer.stateDict());
        }
        if (bad == null) return;
        String msg = String.format(Locale.ROOT,
                "training diverged: after global step %d (batch %d of %d, the last of epoch %d, learning rate %s) the %s "
                        + "holds non-finite values; first non-finite %s: %s. No checkpoint of epoch %d was written",
                globalStep - 1, steps - 1, train.batchesPerEpoch(), epoch, LearningRates.format(lr), where,
                where.equals("model") ? "parameter" : "entry", bad, epoch);
        throw new TrainingDivergedException(msg, epoch, globalStep - 1, bad.tensor());
    }

    private static boolean allFinite(Tensor t) {
        for (float v : t.toFloatArray()) if (!Float.isFinite(v)) return false;
        return true;
    }

    private Device modelDevice() {
        for (Tensor p : model.namedParameters().values()) return p.device();
        return Device.CPU;
    }

    private static LabeledBatch onDevice(LabeledBatch b, Device device) {
        if (b.inputs().device().equals(device) && b.labels().device().equals(device)) return b;
        return new LabeledBatch(b.inputs().to(device), b.labels().to(device), b.exampleIds());
    }

    /** Removes crash leftovers (temporary files, incomplete checkpoints, stale optimizer states) before a start. */
    private void removeLeftovers() throws IOException {
        for (Path p : Checkpoint.removeLeftovers(checkpointDir, keepAllOptimizerStates)) {
            LOG.info("removed {} left by an interrupted run", p);
        }
    }

    private void saveCheckpoint(int epoch, Map<String, Double> metrics, boolean stopped) throws IOException {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put(PERFECT_EPOCHS, (long) perfectEpochs);
        counters.put(STOPPED_EARLY, stopped ? 1L : 0L);
        train.state().forEach((k, v) -> counters.put(DATA_PREFIX + k, v));
        model.randomState().forEach((k, v) -> counters.put(RANDOM_PREFIX + k, v));
        try (TensorScope scope = Tensors.scope()) {
            Checkpoint.save(checkpointDir, Checkpoint.epochName(epoch), model, optimizer,
                    new TrainingState(epoch, globalStep, counters, metrics));
        }
        if (!keepAllOptimizerStates && epoch > 0) {
            Files.deleteIfExists(Checkpoint.optimizerFile(checkpointDir, Checkpoint.epochName(epoch - 1)));
        }
    }

    private ProgressBar progressBar(int epoch) {
        if (progress != ProgressMode.BAR) return null;
        return new ProgressBarBuilder()
                .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, epochs))
                .setInitialMax(train.batchesPerEpoch())
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(Math.min(progressIntervalMillis, 1000))
                .build();
    }

    /**
     * {@code "run elapsed E, ETA R"}: time since this {@code fit}/{@code resume} started and the time left for all
     * remaining epochs, extrapolated from the steps taken so far (epoch-end work such as evaluations included).
     */
    private String runTiming() {
        double elapsed = (System.nanoTime() - runStartNanos) / 1e9;
        long stepsDone = globalStep - runStartStep;
        long stepsLeft = Math.max(0, (long) epochs * train.batchesPerEpoch() - globalStep);
        String eta = stepsDone <= 0 ? "unknown" : formatSeconds(elapsed / stepsDone * stepsLeft);
        return "run elapsed " + formatSeconds(elapsed) + ", ETA " + eta;
    }

    /** Seconds as {@code "12 s"}, {@code "4 min 07 s"} or {@code "2 h 03 min"}. */
    static String formatSeconds(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "unknown";
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    private void logEpoch(EpochMetrics m) {
        if (progress == ProgressMode.NONE || !logEpochs) return;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f acc %.4f",
                m.epoch(), epochs, m.trainLoss(), m.trainAccuracy()));
        m.eval().forEach((n, e) -> sb.append(String.format(Locale.ROOT, ", %s loss %.4f acc %.4f", n, e.loss(), e.accuracy())));
        sb.append(String.format(Locale.ROOT, ", lr %s, %.1fs, %s", LearningRates.format(m.learningRate()), m.seconds(),
                runTiming()));
        LOG.info(sb.toString());
    }

    /** Configuration of a {@link Trainer}; model, optimizer, training data and epochs are required. */
    public static final class Builder {
        private Module model;
        private Optimizer optimizer;
        private LrSchedule schedule;
        private LossFunction loss = LossFunction.meanCrossEntropy();
        private int epochs;
        private BatchSource train;
        private final Map<String, BatchSource> evaluations = new LinkedHashMap<>();
        private Path checkpointDir;
        private boolean overwriteCheckpoints;
        private boolean keepAllOptimizerStates;
        private final List<StepListener> stepListeners = new ArrayList<>();
        private final List<EpochListener> epochListeners = new ArrayList<>();
        private int earlyStopPerfectEpochs;
        private ProgressMode progress = ProgressMode.AUTO;
        private int progressIntervalMillis = 60_000;
        private boolean logEpochs = true;

        private Builder() {}

        /** The model to train (required). */
        public Builder model(Module model) {
            this.model = model;
            return this;
        }

        /** The optimizer over the model's parameters (required); its state is checkpointed. */
        public Builder optimizer(Optimizer optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** Learning rate per global step; without one the optimizer's learning rate is left as it is. */
        public Builder schedule(LrSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        /** The training objective (default: mean cross-entropy). */
        public Builder loss(LossFunction loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** Total number of epochs (including those before a resumed checkpoint). */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** The training batches (required). */
        public Builder trainData(BatchSource train) {
            this.train = train;
            return this;
        }

        /** Adds a source evaluated after every epoch under {@code name} (e.g. "test"). */
        public Builder evaluate(String name, BatchSource source) {
            if (name == null || name.isEmpty() || name.contains(".")) {
                throw new IllegalArgumentException("Trainer: evaluation names must be non-empty without '.', got '" + name + "'");
            }
            if (evaluations.put(name, Objects.requireNonNull(source, "source")) != null) {
                throw new IllegalArgumentException("Trainer: evaluation '" + name + "' added twice");
            }
            return this;
        }

        /** Writes {@code epoch-000} (initialization) and a checkpoint after every epoch into {@code dir}. */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /** Allows {@link Trainer#fit()} to overwrite checkpoints already in the directory (default false). */
        public Builder overwriteCheckpoints(boolean overwrite) {
            this.overwriteCheckpoints = overwrite;
            return this;
        }

        /**
         * Keeps the optimizer state of every epoch's checkpoint. By default only the latest
         * checkpoint keeps it (enough to resume) and the weights of all epochs are kept.
         */
        public Builder keepAllOptimizerStates(boolean keep) {
            this.keepAllOptimizerStates = keep;
            return this;
        }

        /** Adds a per-iteration hook (called in the order added). */
        public Builder stepListener(StepListener listener) {
            stepListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Adds a per-epoch hook (called in the order added). */
        public Builder epochListener(EpochListener listener) {
            epochListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Stops after {@code k} epochs (counted cumulatively) at 100% training accuracy; 0 disables. */
        public Builder earlyStopAfterPerfectEpochs(int k) {
            if (k < 0) throw new IllegalArgumentException("Trainer: early-stop epoch count must be >= 0, got " + k);
            this.earlyStopPerfectEpochs = k;
            return this;
        }

        /** How progress is reported (default {@link ProgressMode#AUTO}). */
        public Builder progress(ProgressMode mode) {
            this.progress = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Whether the trainer logs one line per epoch (default true); a caller that prints its own epoch lines from an
         * {@link EpochListener} turns it off and keeps the in-epoch progress.
         */
        public Builder logEpochs(boolean on) {
            this.logEpochs = on;
            return this;
        }

        /** Minimum time between progress updates (default 60 s, which keeps CI logs short). */
        public Builder progressIntervalMillis(int millis) {
            if (millis <= 0) throw new IllegalArgumentException("Trainer: progress interval must be > 0 ms, got " + millis);
            this.progressIntervalMillis = millis;
            return this;
        }

        /** The trainer; throws if model, optimizer, training data or a positive epoch count is missing. */
        public Trainer build() {
            return new Trainer(this);
        }
    }
}
