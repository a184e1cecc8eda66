package dev.engram.memorization.train;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Normalization;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.TrainingRecipe;
import dev.engram.memorization.rho.IrreducibleLoss;
import dev.engram.memorization.rho.RhoLossSelection;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.nn.Module;
import dev.engram.nn.optim.Optimizer;
import dev.engram.nn.optim.Sam;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.JoCoRLoss;
import dev.engram.nn.train.LossFunction;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.SymmetricCrossEntropy;
import dev.engram.nn.train.Trainer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A run's training with its {@linkplain TrainingMethods training methods} (docs/methods.md §10) on the nn
 * {@link Trainer}: the run's recipe ({@link TrainingRecipe}: batches, base optimizer, schedule) with the loss
 * (cross-entropy, symmetric cross-entropy or JoCoR's joint loss), the optimizer wrapped in SAM when asked, the batches
 * chosen by RHO-LOSS selection when asked (after training its two irreducible-loss models) and the layer
 * re-initialization listener. Dropout and JoCoR's two networks are part of the model
 * ({@link RunData#createModel(ExperimentConfig, Dataset)}). The training run and the method comparison both train
 * through here.
 */
public final class MethodRecipe implements AutoCloseable {
    private final ExperimentConfig cfg;
    private final Module model;
    private final Optimizer optimizer;
    private final BatchSource source;
    private final LossFunction loss;
    private final LayerReinitialization reinit;
    private final int epochs;
    private final List<LoaderBatchSource> opened = new ArrayList<>();

    private MethodRecipe(ExperimentConfig cfg, Normalization norm, Dataset labeled, ExampleSet trainSet, Module model,
                         int epochs, Consumer<String> log) throws IOException {
        this.cfg = cfg;
        this.model = model;
        this.epochs = epochs;
        TrainingMethods m = cfg.methods();
        try {
            if (m.rhoLoss()) {
                double[] il = irreducibleLosses(cfg, norm, labeled, trainSet, log);
                LoaderBatchSource large = open(TrainingRecipe.batches(cfg, norm, labeled, cfg.batchSize() * m.rhoBatchFactor()));
                source = new RhoLossSelection(large, cfg.batchSize(), m.rhoBatchFactor(), il, model);
            } else {
                source = open(TrainingRecipe.batches(cfg, norm, labeled, 0));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        Optimizer base = TrainingRecipe.optimizer(cfg, model);
        optimizer = m.sam() ? new Sam(base, m.samRho(), m.samAdaptive()) : base;
        if (m.jocor()) loss = new JoCoRLoss(labeled.numClasses(), m.jocorLambda(), m.jocorForgetRate(), m.jocorForgetEpochs());
        else if (m.sce()) loss = new SymmetricCrossEntropy(m.sceAlpha(), m.sceBeta());
        else loss = LossFunction.meanCrossEntropy();
        reinit = m.reinitGroups().isEmpty() ? null : new LayerReinitialization(model, m.reinitGroups(), m.reinitEvery(),
                m.reinitUntil(), epochs, m.reinitOrder().equals("bottom-up"), cfg.seed(),
                s -> RunData.createModel(cfg.toBuilder().seed(s).build(), labeled), optimizer);
    }

    /**
     * Prepares the training of {@code model} (a model of {@code cfg}) on {@code labeled} (the training set with the labels
     * to train on) for {@code epochs} epochs; with RHO-LOSS this trains the two irreducible-loss models first.
     *
     * @param trainSet the same examples as {@code labeled}, normalized, for the irreducible losses
     * @param log      progress lines
     */
    public static MethodRecipe prepare(ExperimentConfig cfg, Normalization norm, Dataset labeled, ExampleSet trainSet,
                                       Module model, int epochs, Consumer<String> log) throws IOException {
        return new MethodRecipe(cfg, norm, labeled, trainSet, model, epochs, log);
    }

    /** A trainer builder with model, optimizer, schedule, loss, batches, epochs and listeners set (no progress display). */
    public Trainer.Builder trainer() {
        Trainer.Builder b = Trainer.builder().model(model).optimizer(optimizer).loss(loss)
                .schedule(TrainingRecipe.schedule(cfg, epochs, source.batchesPerEpoch())).epochs(epochs)
                .trainData(source).progress(ProgressMode.NONE);
        if (reinit != null) b.stepListener(reinit);
        return b;
    }

    /** The optimizer (SAM around the base one when asked). */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The loss trained on. */
    public LossFunction loss() {
        return loss;
    }

    /** The training batches (RHO-LOSS's selection when asked). */
    public BatchSource source() {
        return source;
    }

    /**
     * Cross-fitted irreducible losses (detect.IrreducibleLoss): two models of the run's architecture trained with plain
     * training on half the training set each for {@code rhoIlEpochs} epochs (0 = the run's).
     */
    private static double[] irreducibleLosses(ExperimentConfig cfg, Normalization norm, Dataset labeled,
                                              ExampleSet trainSet, Consumer<String> log) throws IOException {
        ExperimentConfig plain = cfg.toBuilder().methods(TrainingMethods.STANDARD).build();
        int ilEpochs = cfg.methods().rhoIlEpochs() > 0 ? cfg.methods().rhoIlEpochs() : cfg.epochs();
        log.accept(String.format(Locale.ROOT, "RHO-LOSS: training 2 irreducible-loss models on half the training set each, %d epochs",
                ilEpochs));
        return IrreducibleLoss.crossFitted(trainSet, rows -> {
            Module m = RunData.createModel(plain, labeled);
            try (LoaderBatchSource half = TrainingRecipe.batches(plain, norm, labeled.subset(rows), 0)) {
                Trainer.builder().model(m).optimizer(TrainingRecipe.optimizer(plain, m))
                        .schedule(TrainingRecipe.schedule(plain, ilEpochs, half.batchesPerEpoch())).epochs(ilEpochs)
                        .trainData(half).progress(ProgressMode.NONE).build().fit();
            }
            m.eval();
            return m;
        }, cfg.seed(), RunData.EVAL_BATCH, null);
    }

    private LoaderBatchSource open(LoaderBatchSource s) {
        opened.add(s);
        return s;
    }

    @Override
    public void close() {
        for (LoaderBatchSource s : opened) s.close();
        opened.clear();
    }
}
