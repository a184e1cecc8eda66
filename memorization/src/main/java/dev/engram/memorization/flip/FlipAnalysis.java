package dev.engram.memorization.flip;

import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The flipping analysis of spec §5.3 on one trained model: runs {@link NeuronFlipping} on randomly drawn noisy and
 * clean training examples and summarizes (a) the number of units needed to flip each kind (paper: > 90% of
 * mislabeled examples need fewer than 10), (b) the accuracy left on the rest of the training set after zeroing a
 * target's units (paper: noisy-example flip sets leave ≈ 10 points more), (c) which layers the units come from and
 * (d) mislabel detection: AUROC and precision@k of {@code −count} against the noise mask, beside two baselines at
 * the unedited model: the per-example loss and the per-example gradient norm.
 *
 * <p>A target that does not flip within the cap gets {@code count = maxUnits + 1} in the statistics and ranking
 * (it is at least that hard).
 */
public final class FlipAnalysis implements Analysis<FlipAnalysis.Options, FlipAnalysis.Result> {

    /**
     * Options of the analysis.
     *
     * @param checkpoint   checkpoint epoch of the model to analyse; -1 = the final epoch
     * @param noisyTargets noisy training examples to flip
     * @param cleanTargets clean training examples to flip
     * @param search       the search settings
     */
    public record Options(int checkpoint, int noisyTargets, int cleanTargets, NeuronFlipping.Options search) {
        /** The final model, 100 noisy and 100 clean targets, the search's defaults. */
        public static final Options DEFAULTS = new Options(-1, 100, 100, NeuronFlipping.Options.defaults());

        /** Validates. */
        public Options {
            if (checkpoint < -1) throw new IllegalArgumentException("flipping: checkpoint must be >= 0 (or -1 = final), got " + checkpoint);
            if (noisyTargets < 0 || cleanTargets < 0 || noisyTargets + cleanTargets == 0) {
                throw new IllegalArgumentException("flipping: noisy and clean target counts must be >= 0 and not both 0, got "
                        + noisyTargets + " and " + cleanTargets);
            }
            if (search == null) throw new IllegalArgumentException("flipping: search settings are required");
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.FLIPPING;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        data.run().requireNoisy("Neuron flipping");
        data.run().requireCheckpoint(epoch(data, options));
    }

    private static int epoch(RunData data, Options options) {
        return options.checkpoint() < 0 ? data.config().epochs() : options.checkpoint();
    }

    @Override
    public Result run(RunData data, Options options, Progress progress) throws IOException {
        return run(data.modelAt(epoch(data, options)), data.trainSet(), options.search(), options.noisyTargets(),
                options.cleanTargets(), progress::line);
    }


    /**
     * Summary statistics.
     *
     * @param noisyFlippedUnder10      share of noisy targets flipped with fewer than 10 units
     * @param cleanFlippedUnder10      share of clean targets flipped with fewer than 10 units
     * @param baselineRemainingClean   accuracy of the unedited model on the clean examples of the evaluation subset
     * @param remainingCleanNoisyFlips mean clean accuracy left after zeroing a noisy target's units
     * @param remainingCleanCleanFlips mean clean accuracy left after zeroing a clean target's units
     * @param aurocNegativeCount       AUROC of −count for finding noisy targets
     * @param aurocLoss                AUROC of the per-example loss
     * @param aurocGradientNorm        AUROC of the per-example gradient norm
     * @param targetsPerSecond         search throughput (targets / search seconds, remaining-accuracy evaluation
     *                                 included)
     */
    public record Summary(String variant, int noisyTargets, int cleanTargets, int maxUnits,
                          double meanCountNoisy, double meanCountClean, double medianCountNoisy, double medianCountClean,
                          double noisyFlippedUnder10, double cleanFlippedUnder10,
                          double noisyNotFlipped, double cleanNotFlipped,
                          double noisyAlreadyMisclassified, double cleanAlreadyMisclassified,
                          double baselineRemainingClean, double baselineRemainingNoisy,
                          double remainingCleanNoisyFlips, double remainingCleanCleanFlips,
                          double remainingNoisyNoisyFlips, double remainingNoisyCleanFlips,
                          double aurocNegativeCount, double aurocLoss, double aurocGradientNorm,
                          double precisionAtKNegativeCount, double precisionAtKLoss, double precisionAtKGradientNorm,
                          double searchSeconds, double targetsPerSecond) { }

    /**
     * Everything the analysis produced.
     *
     * @param layers per layer (tap or parameter tensor): units chosen for clean and for noisy targets
     */
    public record Result(NeuronFlipping.Options options, float noiseSigma, Summary summary,
                         Map<String, int[]> layers, List<NeuronFlipping.Target> targets,
                         double[] loss, double[] gradientNorm) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            return List.of(new SummaryRow("flipped with < 10 units: noisy / clean", SummaryRow.pct(summary.noisyFlippedUnder10())
                    + " / " + SummaryRow.pct(summary.cleanFlippedUnder10())));
        }
    }

    /**
     * Draws {@code noisyTargets} noisy and {@code cleanTargets} clean examples (outside the reference batch) with the
     * options' seed and analyses them.
     */
    public static Result run(Module model, ExampleSet train, NeuronFlipping.Options options, int noisyTargets,
                             int cleanTargets, Consumer<String> log) {
        NeuronFlipping f = NeuronFlipping.create(model, train, options).onProgress(log);
        int[] rows = drawTargets(f, train, noisyTargets, cleanTargets, options.seed());
        if (log != null) {
            log.accept("flipping " + rows.length + " targets (" + options.variant() + ", " + options.targetsPerBatch()
                    + " at a time, cap " + options.maxUnits() + " units)");
        }
        long t0 = System.nanoTime();
        List<NeuronFlipping.Target> targets = f.search(rows);
        double secs = (System.nanoTime() - t0) * 1e-9;
        double[] base = f.baselineRemainingAccuracy();
        double[][] lg = f.lossAndGradientNorm(rows);
        return summarize(options, f.noiseSigma(), targets, base, lg[0], lg[1], secs);
    }

    /** Target rows: the requested numbers of noisy and clean examples, drawn at random outside the reference batch. */
    public static int[] drawTargets(NeuronFlipping f, ExampleSet train, int noisy, int clean, long seed) {
        List<Integer> n = new ArrayList<>(), c = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            if (!f.canTarget(i)) continue;
            (train.noisy()[i] ? n : c).add(i);
        }
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
        int cap = o.maxUnits();
        List<Double> cn = new ArrayList<>(), cc = new ArrayList<>();
        double[] score = new double[targets.size()];
        boolean[] noisy = new boolean[targets.size()];
        int nNoisy = 0, nClean = 0, under10N = 0, under10C = 0, notN = 0, notC = 0, alreadyN = 0, alreadyC = 0;
        double remCN = 0, remCC = 0, remNN = 0, remNC = 0;
        int remCNn = 0, remCCn = 0, remNNn = 0, remNCn = 0;
        Map<String, int[]> layers = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            NeuronFlipping.Target t = targets.get(i);
            int eff = t.flipped() ? t.count() : cap + 1;
            score[i] = -eff;
            noisy[i] = t.noisy();
            boolean under10 = t.flipped() && t.count() < 10;
            if (t.noisy()) {
                nNoisy++;
                cn.add((double) eff);
                if (under10) under10N++;
                if (!t.flipped()) notN++;
                if (t.initialPrediction() != t.label()) alreadyN++;
                if (Double.isFinite(t.remainingClean())) { remCN += t.remainingClean(); remCNn++; }
                if (Double.isFinite(t.remainingNoisy())) { remNN += t.remainingNoisy(); remNNn++; }
            } else {
                nClean++;
                cc.add((double) eff);
                if (under10) under10C++;
                if (!t.flipped()) notC++;
                if (t.initialPrediction() != t.label()) alreadyC++;
                if (Double.isFinite(t.remainingClean())) { remCC += t.remainingClean(); remCCn++; }
                if (Double.isFinite(t.remainingNoisy())) { remNC += t.remainingNoisy(); remNCn++; }
            }
            for (NeuronFlipping.Unit u : t.units()) layers.computeIfAbsent(u.layer(), k -> new int[2])[t.noisy() ? 1 : 0]++;
        }
        boolean both = nNoisy > 0 && nClean > 0;
        Summary s = new Summary(o.variant().name(), nNoisy, nClean, cap,
                mean(cn), mean(cc), median(cn), median(cc),
                ratio(under10N, nNoisy), ratio(under10C, nClean), ratio(notN, nNoisy), ratio(notC, nClean),
                ratio(alreadyN, nNoisy), ratio(alreadyC, nClean),
                base[0], base[1],
                ratio(remCN, remCNn), ratio(remCC, remCCn), ratio(remNN, remNNn), ratio(remNC, remNCn),
                both ? Metrics.auroc(score, noisy) : Double.NaN,
                both ? Metrics.auroc(loss, noisy) : Double.NaN,
                both ? Metrics.auroc(gradNorm, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(score, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(loss, noisy) : Double.NaN,
                both ? Metrics.precisionAtNumPositives(gradNorm, noisy) : Double.NaN,
                seconds, targets.size() / seconds);
        return new Result(o, sigma, s, layers, targets, loss, gradNorm);
    }

    /** Writes {@code results.json}, {@code targets.csv}, {@code layers.csv} and three PNG charts into {@code dir}. */
    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", "flipping");
        json.put("options", r.options());
        json.put("noiseSigma", r.noiseSigma());
        json.put("summary", r.summary());
        json.put("paper", Map.of("noisyFlippedUnder10", "> 0.90 (spec §7 #2)", "unitsToFlipMemorized", "around 5 (spec §7 #1)",
                "remainingAccuracyGap", "noisy-flip sets leave about 10 points more (spec §7 #3)"));
        Results.writeJson(dir.resolve("results.json"), json);

        CsvTable t = new CsvTable("example_id", "noisy", "label", "initial_prediction", "flipped", "count",
                "final_prediction", "remaining_clean_accuracy", "remaining_noisy_accuracy", "loss", "gradient_norm", "units");
        for (int i = 0; i < r.targets().size(); i++) {
            NeuronFlipping.Target x = r.targets().get(i);
            StringBuilder u = new StringBuilder();
            for (NeuronFlipping.Unit unit : x.units()) u.append(u.length() == 0 ? "" : " ").append(unit.layer()).append('#').append(unit.index());
            t.addRow(x.exampleId(), x.noisy() ? 1 : 0, x.label(), x.initialPrediction(), x.flipped() ? 1 : 0, x.count(),
                    x.finalPrediction(), x.remainingClean(), x.remainingNoisy(), r.loss()[i], r.gradientNorm()[i], u.toString());
        }
        t.write(dir.resolve("targets.csv"));
        CsvTable l = new CsvTable("layer", "units_clean_targets", "units_noisy_targets");
        r.layers().forEach((name, c) -> l.addRow(name, c[0], c[1]));
        l.write(dir.resolve("layers.csv"));

        int cap = r.options().maxUnits();
        Map<String, double[]> counts = new LinkedHashMap<>();
        double[] cn = r.targets().stream().filter(NeuronFlipping.Target::noisy).mapToDouble(x -> x.flipped() ? x.count() : cap + 1).toArray();
        double[] cc = r.targets().stream().filter(x -> !x.noisy()).mapToDouble(x -> x.flipped() ? x.count() : cap + 1).toArray();
        if (cc.length > 0) counts.put("clean", cc);
        if (cn.length > 0) counts.put("noisy", cn);
        if (!counts.isEmpty()) {
            Charts.histogram(dir.resolve("counts-to-flip.png"), "Units zeroed to flip the prediction (" + (cap + 1)
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
            Charts.groupedBar(dir.resolve("layers.png"), "Layers of the zeroed units", "layer", "units", names, g);
        }
        Summary s = r.summary();
        double[] vals = {s.baselineRemainingClean(), s.remainingCleanCleanFlips(), s.remainingCleanNoisyFlips()};
        if (Arrays.stream(vals).allMatch(Double::isFinite)) {
            Map<String, double[]> g = new LinkedHashMap<>();
            g.put("clean examples", vals);
            double[] nv = {s.baselineRemainingNoisy(), s.remainingNoisyCleanFlips(), s.remainingNoisyNoisyFlips()};
            if (Arrays.stream(nv).allMatch(Double::isFinite)) g.put("noisy examples", nv);
            Charts.groupedBar(dir.resolve("remaining-accuracy.png"), "Training accuracy after zeroing a target's units",
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
