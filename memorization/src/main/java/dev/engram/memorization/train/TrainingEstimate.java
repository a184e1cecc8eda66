package dev.engram.memorization.train;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.Normalization;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.analysis.PlainTask;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.TrainingRecipe;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.engine.Functional;
import dev.engram.nn.train.LabeledBatch;
import dev.engram.nn.Module;
import dev.engram.nn.optim.Optimizer;

import java.util.Iterator;
import java.util.Locale;

/**
 * How long a training run will take, from a few timed steps: warm-up steps until the just-in-time compiler has settled
 * (step times near the fastest seen, at most {@value #MAX_WARMUP_STEPS} steps or 5 s), then the median of
 * {@code steps} timed optimizer steps with the run's model, batches and optimizer (on a separate model instance, so the
 * run itself is unaffected), and the median of three timed evaluations of {@link RunData#EVAL_BATCH} examples.
 * Gradient accounting during training (three backward passes per batch) and checkpoint writing are not included. The whole run is then
 * {@code epochs × batchesPerEpoch × step + (epochs + 1) × (train + test examples) × evaluation per example}, the
 * per-epoch evaluations of every training and test example being part of every run. Nothing is written.
 *
 * @param secondsPerStep        mean wall time of one timed training step
 * @param secondsPerEvalExample wall time of evaluating one example
 * @param steps                 optimizer steps of the whole run
 * @param evaluatedExamples     examples evaluated over the whole run (training and test, every epoch and epoch 0)
 * @param timedSteps            how many steps were timed
 * @param methodsUntimed        the run uses training methods (SAM's second pass, JoCoR's second network, RHO-LOSS
 *                              selection, ...) whose extra cost per step the plain timed steps do not include
 */
public record TrainingEstimate(double secondsPerStep, double secondsPerEvalExample, long steps, long evaluatedExamples,
                               int timedSteps, boolean methodsUntimed) {
    /** Timed steps used by {@code engram train} before it starts. */
    public static final int DEFAULT_STEPS = 5;
    /** Warm-up ends after this many consecutive steps within {@link #SETTLED_RATIO} of the fastest one... */
    private static final int SETTLED_STEPS = 3;
    private static final double SETTLED_RATIO = 1.5;
    /** ...or after this many warm-up steps, or this much warm-up time (at least two steps are always taken). */
    private static final int MAX_WARMUP_STEPS = 40;
    private static final long MAX_WARMUP_NANOS = 5_000_000_000L;

    /** Estimated seconds of training steps. */
    public double trainingSeconds() {
        return secondsPerStep * steps;
    }

    /** Estimated seconds of the per-epoch evaluations. */
    public double evaluationSeconds() {
        return secondsPerEvalExample * evaluatedExamples;
    }

    /** Estimated seconds of the whole run. */
    public double totalSeconds() {
        return trainingSeconds() + evaluationSeconds();
    }

    /** One line for the console: total, then its parts. */
    public String describe() {
        return String.format(Locale.ROOT, "estimated time: %s (%d step%s × %.3f s/step, median of %d timed step%s = %s;"
                        + " evaluations of %d examples = %s)", PlainTask.duration(totalSeconds()), steps, steps == 1 ? "" : "s",
                secondsPerStep, timedSteps, timedSteps == 1 ? "" : "s", PlainTask.durationWithTenths(trainingSeconds()), evaluatedExamples,
                PlainTask.duration(evaluationSeconds())) + (methodsUntimed
                ? "; the training methods' extra cost per step (second passes, twin networks, selection) is not included"
                : "");
    }

    /**
     * Times {@code steps} training steps (after one warm-up step) of a run with {@code cfg} on {@code train} (all of the
     * data's training examples; the configuration's subset is taken here) and one evaluation batch.
     *
     * @throws IllegalArgumentException when {@code steps < 1} or the data is too small for the configuration
     */
    public static TrainingEstimate measure(ExperimentConfig cfg, Dataset train, Dataset test, int steps) {

        if (steps < 1) throw new IllegalArgumentException("estimate: steps must be >= 1, got " + steps);
        Dataset first = cfg.trainSubset() > 0 ? RunData.firstN(train, cfg.trainSubset(), "--examples") : train;
        var noise = LabelNoise.corrupt(first, cfg.noiseFraction(), cfg.seed());
        Dataset labeled = noise.applyTo(first);
        Normalization norm = RunData.trainingNormalization(cfg, first);
        Module model = RunData.createModel(cfg, first);
        Optimizer optimizer = TrainingRecipe.optimizer(cfg, model);
        model.train(true);
        int batchesPerEpoch;
        double[] timedSeconds = new double[steps];
        try (LoaderBatchSource source = TrainingRecipe.batches(cfg, norm, labeled, 0)) {
            batchesPerEpoch = source.batchesPerEpoch();
            BatchCycle batches = new BatchCycle(source);
            // warm up until the just-in-time compiler has settled: step times near the fastest seen, or the budget spent
            double fastest = Double.POSITIVE_INFINITY;
            int settled = 0;
            long warmStart = System.nanoTime();
            for (int i = 0; i < MAX_WARMUP_STEPS && settled < SETTLED_STEPS
                    && (i < 2 || System.nanoTime() - warmStart < MAX_WARMUP_NANOS); i++) {
                double t = step(model, optimizer, batches.next());
                fastest = Math.min(fastest, t);
                settled = t <= SETTLED_RATIO * fastest && i > 0 ? settled + 1 : 0;
            }
            for (int i = 0; i < steps; i++) timedSeconds[i] = step(model, optimizer, batches.next());
        }
        double perStep = median(timedSeconds);
        int evalN = Math.min(first.size(), RunData.EVAL_BATCH);
        int[] rows = new int[evalN];
        for (int i = 0; i < evalN; i++) rows[i] = i;
        ExampleSet evalSet = ExampleSet.of(first, norm, noise.noisyLabels(), noise.mask()).subset(rows);
        model.eval();
        double[] evalSeconds = new double[3];
        Evaluation.run(model, evalSet, RunData.EVAL_BATCH); // warm-up
        for (int i = 0; i < evalSeconds.length; i++) {
            long e0 = System.nanoTime();
            Evaluation.run(model, evalSet, RunData.EVAL_BATCH);
            evalSeconds[i] = (System.nanoTime() - e0) / 1e9;
        }
        double perExample = median(evalSeconds) / evalN;
        long stepsTotal = (long) cfg.epochs() * batchesPerEpoch;
        long evaluated = (long) (cfg.epochs() + 1) * (first.size() + test.size());
        return new TrainingEstimate(perStep, perExample, stepsTotal, evaluated, steps, !cfg.methods().isStandard());
    }

    /** Seconds of one SGD step on {@code b}. */
    private static double step(Module model, Optimizer optimizer, LabeledBatch b) {
        long t0 = System.nanoTime();
        try (TensorScope s = Tensors.scope()) {
            model.zeroGrad();
            Tensor loss = Functional.crossEntropy(model.forward(b.inputs()), b.labels());
            loss.backward();
            optimizer.step();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        double[] a = v.clone();
        java.util.Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2]);
    }

    /** The run's batches, epoch after epoch. */
    private static final class BatchCycle {
        private final LoaderBatchSource source;
        private int epoch;
        private Iterator<LabeledBatch> it;

        BatchCycle(LoaderBatchSource source) {
            this.source = source;
            this.it = source.epoch(0).iterator();
        }

        LabeledBatch next() {
            if (!it.hasNext()) it = source.epoch(++epoch).iterator();
            return it.next();
        }
    }
}
