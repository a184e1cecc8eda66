package dev.engram.memorization.data;

import dev.engram.datasets.Augmentation;
import dev.engram.datasets.DataLoader;
import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.nn.Module;
import dev.engram.nn.optim.AdamW;
import dev.engram.nn.optim.Constant;
import dev.engram.nn.optim.Optimizer;
import dev.engram.nn.optim.LrSchedule;
import dev.engram.nn.optim.OneCycleTriangular;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;

/**
 * A run's training recipe (docs/methods.md §1.5) in one place: its shuffled, optionally augmented batches, its SGD optimizer and
 * its per-iteration learning-rate schedule. The training run, gradient accounting and every analysis that trains a
 * model of the run (example-tied dropout) take their batches and optimizer from here, so they see the same batches
 * for the same epoch and honour the run's augmentation setting.
 */
public final class TrainingRecipe {
    private TrainingRecipe() { }

    /**
     * The run's training batches over {@code labeled} (the training set with the labels to train on): batch size and
     * shuffling seed of {@code cfg}, crop + flip augmentation when the run uses it, the run's normalization
     * ({@link RunData#normalization()}). Epoch
     * {@code e} is the same sequence of batches in every call (a resumed run sees the batches of an uninterrupted one).
     *
     * @param batchSize batch size; 0 = the run's
     */
    public static LoaderBatchSource batches(RunData run, Dataset labeled, int batchSize) throws java.io.IOException {
        return batches(run.config(), run.normalization(), labeled, batchSize);
    }

    /** As {@link #batches(RunData, Dataset, int)} with the configuration and normalization given. */
    public static LoaderBatchSource batches(ExperimentConfig cfg, Normalization normalization, Dataset labeled,
                                            int batchSize) {
        DataLoader loader = DataLoader.builder(labeled).batchSize(batchSize > 0 ? batchSize : cfg.batchSize())
                .shuffle(true, cfg.seed())
                .augmentation(cfg.augmentation() ? Augmentation.cropAndFlip(cfg.seed()) : Augmentation.NONE)
                .normalization(normalization).build();
        return new LoaderBatchSource(loader);
    }

    /**
     * The run's base optimizer over {@code model}'s parameters: SGD with its peak learning rate, momentum and coupled
     * weight decay, or AdamW (betas 0.9/0.999) with its peak learning rate and decoupled weight decay. Sharpness-aware
     * minimization, a training method of the run, wraps it in {@code train.MethodRecipe}.
     */
    public static Optimizer optimizer(ExperimentConfig cfg, Module model) {
        return switch (cfg.optimizer()) {
            case "sgd" -> Sgd.builder(model).learningRate(cfg.peakLr()).momentum(cfg.momentum()).weightDecay(cfg.weightDecay()).build();
            case "adamw" -> AdamW.builder(model).learningRate(cfg.peakLr()).weightDecay(cfg.weightDecay()).build();
            default -> throw new IllegalArgumentException("unknown optimizer " + cfg.optimizer());
        };
    }

    /** The run's per-iteration schedule over its configured number of epochs. */
    public static LrSchedule schedule(ExperimentConfig cfg, int batchesPerEpoch) {
        return schedule(cfg, cfg.epochs(), batchesPerEpoch);
    }

    /** The run's per-iteration schedule stretched over {@code epochs} epochs. */
    public static LrSchedule schedule(ExperimentConfig cfg, int epochs, int batchesPerEpoch) {
        return switch (cfg.schedule()) {
            case "warmup-cosine" -> {
                if (Math.abs(cfg.warmupFraction() - 0.1) > 1e-12) {
                    throw new IllegalArgumentException("schedule warmup-cosine warms up over 10% of the steps (as the"
                            + " paper's code); config has warmupFraction " + cfg.warmupFraction());
                }
                yield WarmupCosine.forEpochs(cfg.peakLr(), epochs, batchesPerEpoch);
            }
            case "triangle" -> OneCycleTriangular.forEpochs(cfg.peakLr(),
                    Math.max(1, (int) Math.round(cfg.warmupFraction() * epochs)), epochs, batchesPerEpoch + 1);
            case "constant" -> new Constant(cfg.peakLr());
            default -> throw new IllegalArgumentException("unknown schedule " + cfg.schedule());
        };
    }
}
