package dev.engram.memorization.flip;

import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.Shard;
import dev.engram.memorization.analysis.ShardedAnalysis;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.nn.Module;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.IntToDoubleFunction;

/**
 * The flipping analysis of docs/methods.md §5.3 on one trained model: runs {@link NeuronFlipping} on randomly drawn noisy and
 * clean training examples and summarizes (a) the number of units needed to flip each kind (paper: > 90% of
 * mislabeled examples need fewer than 10), (b) the accuracy left on the rest of the training set after zeroing a
 * target's units (paper: noisy-example flip sets leave ≈ 10 points more), (c) which layers the units come from and
 * (d) mislabel detection: AUROC and precision@k of {@code −count} against the noise mask, beside two baselines at
 * the unedited model: the per-example loss and the per-example gradient norm.
 *
 * <p><b>Memorized targets only.</b> The paper's statistics are about memorized examples: a target whose initial
 * prediction already differs from its training label (not memorized, "flipped with 0 units") says nothing about how
 * hard it is to un-memorize. The headline statistics ({@link Summary#memorized()}, the summary rows) are therefore
 * over memorized targets only; non-memorized targets are counted separately and the same statistics with them
 * included are kept for comparison ({@link Summary#allTargets()}). Fewer than {@link #FEW_MEMORIZED} memorized noisy
 * targets raise a warning in the progress output.
 *
 * <p><b>Base model (docs/methods.md §5.1).</b> The reference code flips a model trained until it fits the training set.
 * {@link BaseModel#FIRST_FIT} picks the first checkpoint (in epoch order) with 100% training accuracy w.r.t. the
 * training labels, falling back to the final checkpoint with a warning when none fits; {@link BaseModel#FINAL}
 * (default) uses the final checkpoint; an explicit checkpoint overrides both. {@code results.json} records the choice
 * ({@link Base}). Training a separate model until it fits is not offered.
 *
 * <p>A target that does not flip within the cap gets {@code count = maxUnits + 1} in the statistics and ranking
 * (it is at least that hard).
 */
public final class FlipAnalysis implements ShardedAnalysis<FlipAnalysis.Options, FlipAnalysis.Result, FlipAnalysis.Part> {

    /** Below this many memorized noisy targets the progress output warns that the statistics are thin. */
    public static final int FEW_MEMORIZED = 10;

    /** Which checkpoint is flipped when none is named. */
    public enum BaseModel {
        /** The run's final checkpoint. Default. */
        FINAL,
        /** The first checkpoint, in epoch order, that fits every training label (the reference code's choice). */
        FIRST_FIT
    }

    /**
     * The model that was flipped.
     *
     * @param epoch         its checkpoint epoch
     * @param rule          how it was chosen: {@code "final"}, {@code "first-fit"}, {@code "checkpoint"} (named) or
     *                      {@code "first-fit (none fits; final used)"}
     * @param trainAccuracy its accuracy on the training set w.r.t. the training labels (NaN when not measured)
     */
    public record Base(int epoch, String rule, double trainAccuracy) { }

    /**
     * Options of the analysis.
     *
     * @param checkpoint   checkpoint epoch of the model to analyse; -1 = chosen by {@code base}
     * @param noisyTargets noisy training examples to flip
     * @param cleanTargets clean training examples to flip
     * @param search       the search settings
     * @param base         how the model is chosen when no checkpoint is named
     */
    public record Options(int checkpoint, int noisyTargets, int cleanTargets, NeuronFlipping.Options search,
                          BaseModel base) {
        /** The final model, 100 noisy and 100 clean targets, the search's defaults. */
        public static final Options DEFAULTS = new Options(-1, 100, 100, NeuronFlipping.Options.defaults(), BaseModel.FINAL);

        /** Validates. */
        public Options {
            if (checkpoint < -1) throw new IllegalArgumentException("flipping: checkpoint must be >= 0 (or -1 = final), got " + checkpoint);
            if (noisyTargets < 0 || cleanTargets < 0 || noisyTargets + cleanTargets == 0) {
                throw new IllegalArgumentException("flipping: noisy and clean target counts must be >= 0 and not both 0, got "
                        + noisyTargets + " and " + cleanTargets);
            }
            if (search == null) throw new IllegalArgumentException("flipping: search settings are required");
            if (base == null) throw new IllegalArgumentException("flipping: base model rule is required");
        }

        /** The final model (or {@code checkpoint}) with these targets and search settings. */
        public Options(int checkpoint, int noisyTargets, int cleanTargets, NeuronFlipping.Options search) {
            this(checkpoint, noisyTargets, cleanTargets, search, BaseModel.FINAL);
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.FLIPPING;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        data.run().requireNoisy("Neuron flipping");
        if (options.checkpoint() >= 0) data.run().requireCheckpoint(options.checkpoint());
        else data.run().requireFinalCheckpoint();
    }

    /**
     * One shard's part: the searched targets of its slice (contiguous blocks of the search's and the gradient norms'
     * batch sizes, so each target is computed exactly as in an unsharded run) with their loss and gradient norm.
     *
     * @param base          the model flipped
     * @param noiseSigma    input-noise scale
     * @param baseline      the unedited model's remaining clean and noisy accuracy
     * @param targets       the slice's targets, in draw order
     * @param loss          per target, the loss at the unedited model
     * @param gradientNorm  per target, the per-example gradient norm at the unedited model
     * @param searchSeconds wall time of the slice's search
     */
    public record Part(Base base, float noiseSigma, double[] baseline, List<NeuronFlipping.Target> targets,
                       double[] loss, double[] gradientNorm, double searchSeconds) {
        Part withBase(Base b) {
            return new Part(b, noiseSigma, baseline, targets, loss, gradientNorm, searchSeconds);
        }
    }

    @Override
    public Part runShard(RunData data, Options options, Shard shard, Progress progress) throws IOException {
        Base base = chooseBase(data, options, progress);
        progress.line("flipping the model of checkpoint " + base.epoch() + " (" + base.rule() + ")");
        return searchPart(data.modelAt(base.epoch()), data.trainSet(), options.search(), options.noisyTargets(),
                options.cleanTargets(), shard, progress).withBase(base);
    }

    @Override
    public Result merge(RunData data, Options options, List<Part> parts, Progress progress) throws IOException {
        return combine(options.search(), parts, progress).withBase(parts.get(0).base())
                .withLayersOf(data.newModel());
    }

    private Base chooseBase(RunData data, Options options, Progress progress) throws IOException {
        Base base;
        if (options.checkpoint() >= 0) {
            base = new Base(options.checkpoint(), "checkpoint", Double.NaN);
        } else if (options.base() == BaseModel.FINAL) {
            base = new Base(data.config().epochs(), "final", Double.NaN);
        } else {
            List<Integer> epochs = new ArrayList<>();
            for (var c : data.run().checkpoints()) epochs.add(c.epoch());
            ExampleSet train = data.trainSet();
            base = firstFit(epochs, data.config().epochs(), e -> {
                try {
                    double acc = Evaluation.run(data.modelAt(e), train, RunData.EVAL_BATCH).accuracy();
                    progress.line(String.format(Locale.ROOT, "base model: checkpoint %d fits %.4f of the training labels", e, acc));
                    return acc;
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
            if (!base.rule().equals("first-fit")) {
                progress.line("warning: no checkpoint fits every training label; flipping the final checkpoint instead"
                        + " (the reference flips a model trained until it fits)");
            }
        }
        return base;
    }

    /**
     * The first of {@code epochs} (taken in ascending order) whose training accuracy is 1, or {@code finalEpoch} with
     * rule {@code "first-fit (none fits; final used)"} when none is. Stops evaluating at the first fit.
     */
    static Base firstFit(List<Integer> epochs, int finalEpoch, IntToDoubleFunction trainAccuracy) {
        List<Integer> sorted = new ArrayList<>(epochs);
        sorted.sort(null);
        double last = Double.NaN;
        for (int e : sorted) {
            double acc = trainAccuracy.applyAsDouble(e);
            if (acc >= 1.0) return new Base(e, "first-fit", acc);
            if (e == finalEpoch) last = acc;
        }
        return new Base(finalEpoch, "first-fit (none fits; final used)", last);
    }

    /**
     * Statistics of one set of targets.
     *
     * @param noisyTargets             noisy targets in the set
     * @param cleanTargets             clean targets in the set
     * @param noisyFlippedUnder10      share of noisy targets flipped with fewer than 10 units
     * @param cleanFlippedUnder10      share of clean targets flipped with fewer than 10 units
     * @param remainingCleanNoisyFlips mean clean accuracy left after zeroing a noisy target's units
     * @param remainingCleanCleanFlips mean clean accuracy left after zeroing a clean target's units
     * @param aurocNegativeCount       AUROC of −count for finding noisy targets
     * @param aurocLoss                AUROC of the per-example loss
     * @param aurocGradientNorm        AUROC of the per-example gradient norm
     */
    public record Stats(int noisyTargets, int cleanTargets,
                        double meanCountNoisy, double meanCountClean, double medianCountNoisy, double medianCountClean,
                        double noisyFlippedUnder10, double cleanFlippedUnder10,
                        double noisyNotFlipped, double cleanNotFlipped,
                        double remainingCleanNoisyFlips, double remainingCleanCleanFlips,
                        double remainingNoisyNoisyFlips, double remainingNoisyCleanFlips,
                        double aurocNegativeCount, double aurocLoss, double aurocGradientNorm,
                        double precisionAtKNegativeCount, double precisionAtKLoss, double precisionAtKGradientNorm) { }

    /**
     * Summary statistics.
     *
     * @param noisyTargets           noisy targets searched
     * @param cleanTargets           clean targets searched
     * @param noisyNotMemorized      noisy targets whose initial prediction differs from their training label
     * @param cleanNotMemorized      clean targets whose initial prediction differs from their training label
     * @param memorized              the headline statistics: memorized targets only (initial prediction = label)
     * @param allTargets             the same with the non-memorized targets included (count 0), for comparison
     * @param baselineRemainingClean accuracy of the unedited model on the clean examples of the evaluation subset
     * @param targetsPerSecond       search throughput (targets / search seconds, remaining-accuracy evaluation
     *                               included)
     */
    public record Summary(String variant, String referenceGradient, int noisyTargets, int cleanTargets, int maxUnits,
                          int noisyNotMemorized, int cleanNotMemorized, Stats memorized, Stats allTargets,
                          double baselineRemainingClean, double baselineRemainingNoisy,
                          double searchSeconds, double targetsPerSecond) { }

    /**
     * Everything the analysis produced.
     *
     * @param base   the model that was flipped (null when the search ran on a given model)
     * @param layers      per layer (tap or parameter tensor), in the model's forward order: units chosen for clean and
     *                    for noisy targets, memorized targets only
     * @param layerLabels per layer of {@code layers}: its chart label, numbered in forward order with the layer group
     *                    it follows ({@link UnitLayers})
     */
    public record Result(NeuronFlipping.Options options, float noiseSigma, Summary summary,
                         Map<String, int[]> layers, Map<String, String> layerLabels, List<NeuronFlipping.Target> targets,
                         double[] loss, double[] gradientNorm, Base base) implements Analysis.Result {
        /** This result with the base model recorded. */
        public Result withBase(Base b) {
            return new Result(options, noiseSigma, summary, layers, layerLabels, targets, loss, gradientNorm, b);
        }

        /** This result with its layers in {@code model}'s forward order and labelled by {@link UnitLayers}. */
        public Result withLayersOf(Module model) {
            Map<String, int[]> ordered = new LinkedHashMap<>();
            Map<String, String> labels = new LinkedHashMap<>();
            List<String> order = UnitLayers.forwardOrder(model, layers.keySet());
            for (int i = 0; i < order.size(); i++) {
                ordered.put(order.get(i), layers.get(order.get(i)));
                labels.put(order.get(i), UnitLayers.label(model, order.get(i)));
            }
            return new Result(options, noiseSigma, summary, ordered, labels, targets, loss, gradientNorm, base);
        }

        @Override
        public List<SummaryRow> summaryRows() {
            Stats m = summary.memorized();
            List<SummaryRow> rows = new ArrayList<>();
            rows.add(new SummaryRow("memorized targets (noisy / clean)", summary.noisyTargets() - summary.noisyNotMemorized()
                    + " of " + summary.noisyTargets() + " / " + (summary.cleanTargets() - summary.cleanNotMemorized())
                    + " of " + summary.cleanTargets()));
            rows.add(new SummaryRow("memorized flipped with < 10 units: noisy / clean",
                    SummaryRow.pct(m.noisyFlippedUnder10()) + " / " + SummaryRow.pct(m.cleanFlippedUnder10())));
            rows.add(new SummaryRow("memorized mean units to flip: noisy / clean", String.format(Locale.ROOT, "%.2f / %.2f",
                    m.meanCountNoisy(), m.meanCountClean())));
            rows.add(new SummaryRow("memorized AUROC(-count)", SummaryRow.fixed4(m.aurocNegativeCount())));
            return rows;
        }
    }

    /**
     * Draws {@code noisyTargets} noisy and {@code cleanTargets} clean examples (outside the reference batch) with the
     * options' seed and analyses them.
     */
    public static Result run(Module model, ExampleSet train, NeuronFlipping.Options options, int noisyTargets,
                             int cleanTargets, Consumer<String> log) {
        return runReporting(model, train, options, noisyTargets, cleanTargets, log == null ? Progress.NONE : log::accept);
    }

    /**
     * As {@link #run(Module, ExampleSet, NeuronFlipping.Options, int, int, Consumer)}, reporting to {@code progress}
     * with a task counting the targets searched.
     */
    public static Result runReporting(Module model, ExampleSet train, NeuronFlipping.Options options, int noisyTargets,
                                      int cleanTargets, Progress progress) {
        return combine(options, List.of(searchPart(model, train, options, noisyTargets, cleanTargets, Shard.WHOLE,
                progress)), progress).withLayersOf(model);
    }

    /** Draws the targets and searches the slice of {@code shard}. */
    static Part searchPart(Module model, ExampleSet train, NeuronFlipping.Options options, int noisyTargets,
                           int cleanTargets, Shard shard, Progress progress) {
        Consumer<String> log = progress::line;
        int[] all = drawTargets(train, noisyTargets, cleanTargets, options.seed());
        int noisyDrawn = 0;
        for (int row : all) if (train.noisy()[row]) noisyDrawn++;
        if (noisyDrawn < noisyTargets || all.length - noisyDrawn < cleanTargets) {
            log.accept("warning: the run has " + train.size() + " training examples, " + train.noisyCount() + " of them noisy: "
                    + "flipping " + noisyDrawn + " noisy and " + (all.length - noisyDrawn) + " clean targets of the requested "
                    + noisyTargets + " and " + cleanTargets);
        }
        NeuronFlipping f = NeuronFlipping.create(model, train, options, all).onProgress(log);
        if (f.referenceRows().length < options.referenceSize()) {
            log.accept("note: the reference batch has " + f.referenceRows().length + " of the requested " + options.referenceSize()
                    + " examples, all the run's " + train.size() + " examples but the " + all.length + " targets can give");
        }
        int[] range = shard.range(all.length, f.targetsPerChunk());
        String idle = shard.emptyNote(all.length, f.targetsPerChunk(), "targets", "--targets-per-batch");
        if (idle != null) log.accept(idle);
        int[] rows = Arrays.copyOfRange(all, range[0], range[1]);
        log.accept("flipping " + rows.length + " targets" + (shard.count() > 1 ? " (shard " + shard + ": targets "
                + range[0] + ".." + range[1] + " of " + all.length + ")" : "") + " (" + options.variant()
                + (options.variant() == NeuronFlipping.Variant.ACTIVATIONS ? ", reference gradient "
                + options.referenceGradient().name().toLowerCase(Locale.ROOT) : "") + ", " + options.targetsPerBatch()
                + " at a time, cap " + options.maxUnits() + " units)");
        long t0 = System.nanoTime();
        List<NeuronFlipping.Target> targets;
        try (Progress.Task task = progress.task("flipping", rows.length)) {
            f.onTargetsDone(task::stepTo);
            targets = f.search(rows);
        }
        double secs = (System.nanoTime() - t0) * 1e-9;
        // loss and gradient norm in the batches of an unsharded run: the whole batches around the slice, then cut
        int b = f.gradientNormChunk();
        int from = range[0] / b * b, to = Math.min(all.length, (range[1] + b - 1) / b * b);
        double[][] lg = new double[2][0];
        if (rows.length > 0) {
            double[][] around = f.lossAndGradientNorm(Arrays.copyOfRange(all, from, to));
            lg = new double[][] {Arrays.copyOfRange(around[0], range[0] - from, range[1] - from),
                Arrays.copyOfRange(around[1], range[0] - from, range[1] - from)};
        }
        return new Part(null, f.noiseSigma(), f.baselineRemainingAccuracy(), targets, lg[0], lg[1], secs);
    }

    /** The result of the parts' targets together, in shard order. */
    static Result combine(NeuronFlipping.Options options, List<Part> parts, Progress progress) {
        List<NeuronFlipping.Target> targets = new ArrayList<>();
        List<double[]> loss = new ArrayList<>(), norm = new ArrayList<>();
        double secs = 0;
        for (Part p : parts) {
            targets.addAll(p.targets());
            loss.add(p.loss());
            norm.add(p.gradientNorm());
            secs += p.searchSeconds();
            if (!Arrays.equals(p.baseline(), parts.get(0).baseline())) {
                progress.line("warning: the shards measured different unedited accuracies " + Arrays.toString(p.baseline())
                        + " and " + Arrays.toString(parts.get(0).baseline()) + " (run on different hardware?); using the first");
            }
        }
        Result r = summarize(options, parts.get(0).noiseSigma(), targets, parts.get(0).baseline(), concat(loss),
                concat(norm), secs);
        warnings(r.summary()).forEach(progress::line);
        return r;
    }

    private static double[] concat(List<double[]> parts) {
        return parts.stream().flatMapToDouble(Arrays::stream).toArray();
    }


    /** Warnings about thin statistics: few memorized noisy targets, non-memorized targets left out. */
    static List<String> warnings(Summary s) {
        List<String> out = new ArrayList<>();
        int memNoisy = s.memorized().noisyTargets();
        if (s.noisyTargets() > 0 && memNoisy < FEW_MEMORIZED) {
            out.add("warning: " + (memNoisy < s.noisyTargets() ? "only " + memNoisy + " of " + s.noisyTargets()
                    + " noisy targets are memorized (predicted as their training label); " : "")
                    + "the flip statistics of noisy examples rest on " + memNoisy + " target(s), fewer than "
                    + FEW_MEMORIZED + " (ask for more with --noisy)");
        }
        if (s.noisyNotMemorized() + s.cleanNotMemorized() > 0) {
            out.add("note: " + s.noisyNotMemorized() + " noisy and " + s.cleanNotMemorized() + " clean targets are not"
                    + " memorized; they are left out of the headline statistics (see allTargets in results.json)");
        }
        return out;
    }

    /**
     * Target rows: the requested numbers of noisy and clean examples (as many as the run has, if fewer), drawn at random
     * with the seed; the search's reference batch is then drawn from the other rows
     * ({@link NeuronFlipping#create(Module, ExampleSet, NeuronFlipping.Options, int[])}).
     */
    public static int[] drawTargets(ExampleSet train, int noisy, int clean, long seed) {
        List<Integer> n = new ArrayList<>(), c = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) (train.noisy()[i] ? n : c).add(i);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x7A26E7L);
        List<Integer> out = new ArrayList<>();
        out.addAll(sample(n, noisy, rnd));
        out.addAll(sample(c, clean, rnd));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<Integer> sample(List<Integer> from, int k, SplittableRandom rnd) {
        List<Integer> l = new ArrayList<>(from);
        for (int i = l.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            Integer t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
        return l.subList(0, Math.min(k, l.size()));
    }

    /** Builds the summary from the per-target outcomes. */
    static Result summarize(NeuronFlipping.Options o, float sigma, List<NeuronFlipping.Target> targets, double[] base,
                            double[] loss, double[] gradNorm, double seconds) {
        Map<String, int[]> layers = new LinkedHashMap<>();
        int nNoisy = 0, nClean = 0, notMemN = 0, notMemC = 0;
        boolean[] all = new boolean[targets.size()], memorized = new boolean[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            NeuronFlipping.Target t = targets.get(i);
            all[i] = true;
            memorized[i] = isMemorized(t);
            if (t.noisy()) {
                nNoisy++;
                if (!memorized[i]) notMemN++;
            } else {
                nClean++;
                if (!memorized[i]) notMemC++;
            }
            for (NeuronFlipping.Unit u : t.units()) layers.computeIfAbsent(u.layer(), k -> new int[2])[t.noisy() ? 1 : 0]++;
        }
        Summary s = new Summary(o.variant().name(), o.variant() == NeuronFlipping.Variant.ACTIVATIONS
                ? o.referenceGradient().name() : "EXACT", nNoisy, nClean, o.maxUnits(), notMemN, notMemC,
                stats(o.maxUnits(), targets, memorized, loss, gradNorm), stats(o.maxUnits(), targets, all, loss, gradNorm),
                base[0], base[1], seconds, targets.size() / seconds);
        return new Result(o, sigma, s, layers, Map.of(), targets, loss, gradNorm, null);
    }

    /** Whether the model predicted the target as its training label before any zeroing. */
    public static boolean isMemorized(NeuronFlipping.Target t) {
        return t.initialPrediction() == t.label();
    }

    private static Stats stats(int cap, List<NeuronFlipping.Target> targets, boolean[] include, double[] loss,
                               double[] gradNorm) {
        List<Double> cn = new ArrayList<>(), cc = new ArrayList<>();
        List<Double> score = new ArrayList<>(), lossSel = new ArrayList<>(), normSel = new ArrayList<>();
        List<Boolean> noisyList = new ArrayList<>();
        int nNoisy = 0, nClean = 0, under10N = 0, under10C = 0, notN = 0, notC = 0;
        double remCN = 0, remCC = 0, remNN = 0, remNC = 0;
        int remCNn = 0, remCCn = 0, remNNn = 0, remNCn = 0;
        for (int i = 0; i < targets.size(); i++) {
            if (!include[i]) continue;
            NeuronFlipping.Target t = targets.get(i);
            int eff = t.flipped() ? t.count() : cap + 1;
            score.add((double) -eff);
            lossSel.add(loss[i]);
            normSel.add(gradNorm[i]);
            noisyList.add(t.noisy());
            boolean under10 = t.flipped() && t.count() < 10;
            if (t.noisy()) {
                nNoisy++;
                cn.add((double) eff);
                if (under10) under10N++;
                if (!t.flipped()) notN++;
                if (Double.isFinite(t.remainingClean())) { remCN += t.remainingClean(); remCNn++; }
                if (Double.isFinite(t.remainingNoisy())) { remNN += t.remainingNoisy(); remNNn++; }
            } else {
                nClean++;
                cc.add((double) eff);
                if (under10) under10C++;
                if (!t.flipped()) notC++;
                if (Double.isFinite(t.remainingClean())) { remCC += t.remainingClean(); remCCn++; }
                if (Double.isFinite(t.remainingNoisy())) { remNC += t.remainingNoisy(); remNCn++; }
            }
        }
        boolean both = nNoisy > 0 && nClean > 0;
        double[] sc = toArray(score), ls = toArray(lossSel), gn = toArray(normSel);
        boolean[] noisy = new boolean[noisyList.size()];
        for (int i = 0; i < noisy.length; i++) noisy[i] = noisyList.get(i);
        return new Stats(nNoisy, nClean, mean(cn), mean(cc), median(cn), median(cc),
                ratio(under10N, nNoisy), ratio(under10C, nClean), ratio(notN, nNoisy), ratio(notC, nClean),
                ratio(remCN, remCNn), ratio(remCC, remCCn), ratio(remNN, remNNn), ratio(remNC, remNCn),
                both ? Metrics.auroc(sc, noisy) : Double.NaN,
                both ? Metrics.auroc(ls, noisy) : Double.NaN,
                both ? Metrics.auroc(gn, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(sc, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(ls, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(gn, noisy) : Double.NaN);
    }

    private static double[] toArray(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Writes {@code results.json}, {@code targets.csv}, {@code layers.csv} and three PNG charts into {@code dir}. */
    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", "flipping");
        json.put("options", r.options());
        if (r.base() != null) json.put("baseModel", r.base());
        json.put("noiseSigma", r.noiseSigma());
        json.put("statistics", "summary.memorized: memorized targets only (initial prediction = training label), the"
                + " headline; summary.allTargets: non-memorized targets included with count 0, for comparison");
        json.put("summary", r.summary());
        Map<String, String> paper = new LinkedHashMap<>(); // ordered: the same file from every JVM
        paper.put("noisyFlippedUnder10", "> 0.90 (docs/methods.md §7 #2)");
        paper.put("unitsToFlipMemorized", "around 5 (docs/methods.md §7 #1)");
        paper.put("remainingAccuracyGap", "noisy-flip sets leave about 10 points more (docs/methods.md §7 #3)");
        json.put("paper", paper);
        Results.writeJson(dir.resolve("results.json"), json);

        CsvTable t = new CsvTable("example_id", "noisy", "label", "initial_prediction", "memorized", "flipped", "count",
                "final_prediction", "remaining_clean_accuracy", "remaining_noisy_accuracy", "loss", "gradient_norm", "units");
        for (int i = 0; i < r.targets().size(); i++) {
            NeuronFlipping.Target x = r.targets().get(i);
            StringBuilder u = new StringBuilder();
            for (NeuronFlipping.Unit unit : x.units()) u.append(u.length() == 0 ? "" : " ").append(unit.layer()).append('#').append(unit.index());
            t.addRow(x.exampleId(), x.noisy() ? 1 : 0, x.label(), x.initialPrediction(), isMemorized(x) ? 1 : 0,
                    x.flipped() ? 1 : 0, x.count(),
                    x.finalPrediction(), x.remainingClean(), x.remainingNoisy(), r.loss()[i], r.gradientNorm()[i], u.toString());
        }
        t.write(dir.resolve("targets.csv"));
        CsvTable l = new CsvTable("layer", "units_clean_targets", "units_noisy_targets");
        r.layers().forEach((name, c) -> l.addRow(name, c[0], c[1]));
        l.write(dir.resolve("layers.csv"));

        int cap = r.options().maxUnits();
        Map<String, double[]> counts = new LinkedHashMap<>();
        double[] cn = r.targets().stream().filter(x -> x.noisy() && isMemorized(x)).mapToDouble(x -> x.flipped() ? x.count() : cap + 1).toArray();
        double[] cc = r.targets().stream().filter(x -> !x.noisy() && isMemorized(x)).mapToDouble(x -> x.flipped() ? x.count() : cap + 1).toArray();
        if (cc.length > 0) counts.put("clean", cc);
        if (cn.length > 0) counts.put("noisy", cn);
        if (!counts.isEmpty()) {
            Charts.histogram(dir.resolve("counts-to-flip.png"), "Units zeroed to flip the prediction, memorized targets (" + (cap + 1)
                    + " = not flipped)", "units", counts, 20, true);
        }
        if (!r.layers().isEmpty()) {
            List<String> names = new ArrayList<>(r.layers().keySet());
            double[] c0 = new double[names.size()], c1 = new double[names.size()];
            for (int i = 0; i < names.size(); i++) {
                c0[i] = r.layers().get(names.get(i))[0];
                c1[i] = r.layers().get(names.get(i))[1];
            }
            Map<String, double[]> g = new LinkedHashMap<>();
            g.put("clean targets", c0);
            g.put("noisy targets", c1);
            List<String> labels = names.stream().map(n -> r.layerLabels().getOrDefault(n, n)).toList();
            Charts.groupedBar(dir.resolve("layers.png"), "Layers of the units zeroed to flip memorized targets",
                    "units at the output of (layer group, tap)", "units zeroed", labels, g);
        }
        Stats s = r.summary().memorized();
        double[] vals = {r.summary().baselineRemainingClean(), s.remainingCleanCleanFlips(), s.remainingCleanNoisyFlips()};
        if (Arrays.stream(vals).allMatch(Double::isFinite)) {
            Map<String, double[]> g = new LinkedHashMap<>();
            g.put("clean examples", vals);
            double[] nv = {r.summary().baselineRemainingNoisy(), s.remainingNoisyCleanFlips(), s.remainingNoisyNoisyFlips()};
            if (Arrays.stream(nv).allMatch(Double::isFinite)) g.put("noisy examples", nv);
            Charts.groupedBar(dir.resolve("remaining-accuracy.png"), "Training accuracy after zeroing a memorized target's units",
                    "model", "accuracy", List.of("unedited", "after clean-target flips", "after noisy-target flips"), g);
        }
    }

    private static double mean(List<Double> v) {
        return v.isEmpty() ? Double.NaN : v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) return Double.NaN;
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2]);
    }

    private static double ratio(double a, int b) {
        return b == 0 ? Double.NaN : a / b;
    }
}
