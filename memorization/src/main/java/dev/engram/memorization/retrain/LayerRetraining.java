package dev.engram.memorization.retrain;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.engine.Tensor;
import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.nn.Module;
import dev.engram.nn.optim.OneCycleTriangular;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.train.EpochMetrics;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.StepContext;
import dev.engram.nn.train.StepListener;
import dev.engram.nn.train.Trainer;
import dev.engram.nn.train.TrainingHistory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Layer retraining on one model (docs/methods.md §4): start from the final weights, reset one layer group to its initial
 * values (the exact epoch-0 tensors the run started from, as the paper's code does, not a fresh draw), and train on
 * a subset of the training set (the clean examples) while measuring accuracy on the clean and the noisy examples in
 * eval mode before retraining and after every epoch. Training uses the nn {@link Trainer}: SGD with momentum and
 * coupled weight decay, a triangular one-cycle schedule stepped per iteration that peaks half-way (steps per epoch
 * counted as batches + 1, as in the code), and early stopping after a number of (cumulative) epochs at 100%
 * training accuracy on the retraining subset.
 *
 * <p>Defaults follow the paper, with the code's defects fixed (docs/methods.md §9 items 8–11): only group l is trainable (the
 * code's freezing has no effect, so it trains every layer: {@link Settings#trainAll()}), the training subset is the
 * clean examples (the code's double mask inversion trains on the noisy ones). The optimizer settings are given by the
 * caller ({@link RetrainingAnalysis} defaults to the run's own; {@link Settings#paper} has the paper's peak learning
 * rate 0.1 and weight decay 5e-4; the code uses 0.01). Unlike the code, the base model is the run's final checkpoint, not a fresh 25-epoch triangle-schedule model.
 * All batch-norm layers run in train mode during retraining; their running statistics are updated by default (the
 * code's behaviour; the paper is silent), or, with {@link BnStats#FREEZE}, those of the frozen groups are restored
 * after every forward pass so that only the retrained group's own statistics move.
 */
public final class LayerRetraining {

    /** What happens to the BN running statistics of the frozen groups during retraining. */
    public enum BnStats {
        /** Updated by every training batch, in every layer (the code's behaviour). Default. */
        UPDATE("update"),
        /** Restored after every forward pass, except those of the retrained group's own BN layers. */
        FREEZE("freeze");

        private final String label;

        BnStats(String label) {
            this.label = label;
        }

        /** Command-line spelling. */
        public String label() {
            return label;
        }

        /** Parses {@link #label()}. */
        public static BnStats parse(String s) {
            for (BnStats b : values()) if (b.label.equals(s.trim().toLowerCase(Locale.ROOT))) return b;
            throw new IllegalArgumentException("unknown BN statistics mode '" + s + "'; expected update or freeze");
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * Retraining hyper-parameters.
     *
     * @param epochs              retraining epochs (paper 20); the schedule peaks after {@code epochs / 2}
     * @param peakLr              peak learning rate (paper 0.1, code 0.01)
     * @param momentum            SGD momentum (0.9)
     * @param weightDecay         coupled weight decay (5e-4)
     * @param batchSize           size of the unfiltered training batches
     * @param trainAll            train every group, not only the reset one (what the code effectively does)
     * @param bnStats             BN running statistics of the frozen groups
     * @param earlyStopEpochs     stop after this many (cumulative) epochs at 100% training accuracy; 0 = never
     * @param seed                shuffling seed
     */
    public record Settings(int epochs, double peakLr, double momentum, double weightDecay, int batchSize,
                           boolean trainAll, BnStats bnStats, int earlyStopEpochs, long seed) {
        /** Validates the values. */
        public Settings {
            if (epochs < 1) throw new IllegalArgumentException("retraining epochs must be >= 1, got " + epochs);
            if (!(peakLr > 0) || Double.isInfinite(peakLr)) {
                throw new IllegalArgumentException("retraining peak learning rate must be > 0, got " + peakLr);
            }
            if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
            if (batchSize < 2) throw new IllegalArgumentException("retraining batch size must be >= 2, got " + batchSize);
            if (bnStats == null) throw new IllegalArgumentException("bnStats is required");
            if (earlyStopEpochs < 0) throw new IllegalArgumentException("early-stop epochs must be >= 0, got " + earlyStopEpochs);
        }

        /** The paper's settings: 20 epochs, peak 0.1 at epoch 10, momentum 0.9, wd 5e-4, early stop after 3. */
        public static Settings paper(int batchSize, long seed) {
            return new Settings(20, 0.1, 0.9, 5e-4, batchSize, false, BnStats.UPDATE, 3, seed);
        }
    }

    /**
     * Retraining curve of one group; index 0 of the accuracy arrays is after the reset, before retraining, index e
     * after retraining epoch e.
     *
     * @param group         the reset group
     * @param cleanAccuracy accuracy on the clean training examples (eval mode)
     * @param noisyAccuracy accuracy on the noisy training examples w.r.t. their noisy label (eval mode)
     * @param trainAccuracy accuracy on the retraining batches during each epoch (index 0: NaN)
     * @param learningRate  learning rate of each epoch's last step (index 0: 0)
     * @param epochsRun     epochs trained (fewer than asked after an early stop)
     * @param stoppedEarly  whether training stopped early
     * @param steps         optimizer steps taken
     * @param trainedTensors parameters that were trainable
     */
    public record Curve(String group, double[] cleanAccuracy, double[] noisyAccuracy, double[] trainAccuracy,
                        double[] learningRate, int epochsRun, boolean stoppedEarly, long steps,
                        List<String> trainedTensors) {
        /** Clean accuracy after the last epoch. */
        public double finalClean() {
            return cleanAccuracy[cleanAccuracy.length - 1];
        }

        /** Noisy accuracy after the last epoch. */
        public double finalNoisy() {
            return noisyAccuracy[noisyAccuracy.length - 1];
        }
    }

    /** Progress callback after the pre-retraining evaluation (epoch 0) and every epoch. */
    public interface Listener {
        /** Accuracies after {@code epoch} of the retraining of {@code group} (NaN train accuracy for epoch 0). */
        void epochDone(String group, int epoch, double clean, double noisy, double trainAccuracy);

        /** Ignores everything. */
        Listener NONE = (g, e, c, n, t) -> { };
    }

    /** Evaluation batch size. */
    public static final int EVAL_BATCH = 1000;

    private LayerRetraining() { }

    /**
     * Resets {@code group} of {@code model} and retrains it.
     *
     * @param model         model of the run's architecture; its weights are overwritten with {@code finalState}
     * @param finalState    the trained model's state dict
     * @param initialState  the state dict at initialisation (epoch 0), source of the reset
     * @param labeled       training set with the labels the run trained on (example ids = positions)
     * @param trainOn       positions trained on (the clean examples)
     * @param clean         positions of the clean examples (evaluated)
     * @param noisy         positions of the noisy examples (evaluated)
     * @param observer      extra step listener (e.g. to check which examples are trained on), or null
     * @return the curve; the model is left with the retrained weights and every parameter trainable again
     */
    public static Curve retrain(Module model, Map<String, Tensor> finalState, Map<String, Tensor> initialState,
                                String group, Dataset labeled, int[] trainOn, int[] clean, int[] noisy,
                                Normalization normalization, Settings s, Listener listener, StepListener observer)
            throws IOException {
        if (listener == null) listener = Listener.NONE;
        int n = labeled.size();
        model.loadStateDict(finalState, true);
        LayerRewinding.rewind(model, initialState, group, LayerRewinding.BnStats.KEEP_FINAL);

        Map<String, Tensor> params = model.namedParameters();
        Map<String, Boolean> wasTrainable = new LinkedHashMap<>();
        params.forEach((k, t) -> wasTrainable.put(k, t.requiresGrad()));
        Set<String> groupParams = new HashSet<>(LayerRewinding.tensorNames(model, group, LayerRewinding.BnStats.KEEP_FINAL));
        List<String> trained = new ArrayList<>();
        for (var e : params.entrySet()) {
            boolean on = s.trainAll() || groupParams.contains(e.getKey());
            e.getValue().requiresGrad(on);
            if (on) trained.add(e.getKey());
        }
        try {
            SelectedBatches train = new SelectedBatches(labeled, SelectedBatches.mask(n, trainOn), s.batchSize(), true,
                    s.seed(), 2, normalization);
            SelectedBatches cleanSrc = new SelectedBatches(labeled, SelectedBatches.mask(n, clean), EVAL_BATCH, false,
                    0, 1, normalization);
            SelectedBatches noisySrc = new SelectedBatches(labeled, SelectedBatches.mask(n, noisy), EVAL_BATCH, false,
                    0, 1, normalization);
            Sgd opt = Sgd.builder(model).learningRate(0).momentum(s.momentum()).weightDecay(s.weightDecay()).build();
            Trainer.Builder b = Trainer.builder().model(model).optimizer(opt)
                    .schedule(OneCycleTriangular.forEpochs(s.peakLr(), s.epochs() / 2, s.epochs(),
                            train.batchesPerEpoch() + 1))
                    .epochs(s.epochs()).trainData(train).evaluate("clean", cleanSrc).evaluate("noisy", noisySrc)
                    .earlyStopAfterPerfectEpochs(s.earlyStopEpochs()).progress(ProgressMode.NONE);
            if (s.bnStats() == BnStats.FREEZE && !s.trainAll()) b.stepListener(frozenStats(model, group));
            if (observer != null) b.stepListener(observer);
            Listener l = listener;
            b.epochListener((m, mod) -> l.epochDone(group, m.epoch(), m.eval().get("clean").accuracy(),
                    m.eval().get("noisy").accuracy(), m.trainAccuracy()));
            Trainer trainer = b.build();

            double c0 = trainer.evaluate(cleanSrc, 0).accuracy();
            double n0 = trainer.evaluate(noisySrc, 0).accuracy();
            listener.epochDone(group, 0, c0, n0, Double.NaN);
            TrainingHistory h = trainer.fit();
            int k = h.epochs().size();
            double[] ca = new double[k + 1], na = new double[k + 1], ta = new double[k + 1], lr = new double[k + 1];
            ca[0] = c0;
            na[0] = n0;
            ta[0] = Double.NaN;
            for (int e = 0; e < k; e++) {
                EpochMetrics m = h.epochs().get(e);
                ca[e + 1] = m.eval().get("clean").accuracy();
                na[e + 1] = m.eval().get("noisy").accuracy();
                ta[e + 1] = m.trainAccuracy();
                lr[e + 1] = m.learningRate();
            }
            return new Curve(group, ca, na, ta, lr, k, h.stoppedEarly(), h.globalStep(), trained);
        } finally {
            wasTrainable.forEach((k, on) -> params.get(k).requiresGrad(on));
        }
    }

    /** Restores the running statistics outside {@code group}'s modules after every forward pass. */
    private static StepListener frozenStats(Module model, String group) {
        Set<String> own = new HashSet<>(LayerRewinding.tensorNames(model, group, LayerRewinding.BnStats.REWIND));
        Map<String, Tensor> live = new LinkedHashMap<>();
        Map<String, float[]> saved = new LinkedHashMap<>();
        model.namedBuffers().forEach((k, t) -> {
            if (!own.contains(k)) {
                if (t.dtype() != dev.engram.engine.DType.FLOAT32) {
                    throw new IllegalArgumentException("cannot freeze buffer '" + k + "' of dtype " + t.dtype().label());
                }
                live.put(k, t);
                saved.put(k, t.toFloatArray());
            }
        });
        return new StepListener() {
            @Override
            public void afterBackward(StepContext step) {
                live.forEach((k, t) -> t.copyFrom(Tensor.of(t.device(), saved.get(k), t.shape())));
            }
        };
    }
}
