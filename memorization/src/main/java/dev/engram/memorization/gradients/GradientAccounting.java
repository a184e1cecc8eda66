package dev.engram.memorization.gradients;

import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.TrainingRecipe;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gradient accounting (docs/methods.md §2): how much the clean and the noisy (mislabeled) training examples contribute to the
 * gradient of every layer, whether the two contributions point in opposite directions, and how large the
 * per-example gradients of noisy examples are compared with clean ones. {@link GradientAccumulator} defines the
 * quantities.
 *
 * <p>Two ways to produce it, both writing into {@code analyses/grad-accounting/}:
 * <ul>
 *   <li>during training ({@code engram train --grad-accounting}): {@link GradientAccountingListener} accounts every
 *       epoch's batches with the parameters before each update (exactly the reference code's measurement); records in
 *       {@code epochs/epoch-NNN.safetensors}, NNN = training epoch 1..E;</li>
 *   <li>afterwards from saved checkpoints ({@code engram grad-accounting --run DIR}, {@link #run}): for each chosen
 *       checkpoint c, the parameters are fixed at c and one pass is made over the training set in the batch order of
 *       training epoch c + 1, model in train mode (batch-norm normalises with batch statistics, as during training;
 *       running statistics are updated in the in-memory copy only, the checkpoint file is never changed); records in
 *       {@code checkpoints/epoch-NNN.safetensors}, NNN = checkpoint.</li>
 * </ul>
 * Per-example gradient norms are by default true per-example gradients from an extra eval-mode pass (batch-norm with
 * running statistics); the batch-coupled train-mode value is an option ({@link GradientAccumulator.ExampleNorms}).
 * Every record, table ({@code norm_mode} column), chart title, summary row and {@code results.json}
 * ({@code exampleNormMode}) says which one it shows; records of different modes are never mixed in one summary.
 * {@link #summarize} turns the records of one kind into {@code results.json}, {@code layers.csv},
 * {@code example-norms.csv} and the charts; the last run of either kind owns the summary files.
 */
public final class GradientAccounting implements Analysis<GradientAccounting.Options, GradientAccounting.Result> {
    /** Analysis folder name (also the CLI subcommand). */
    public static final String NAME = AnalysisKind.GRADIENT_ACCOUNTING.dirName();
    /** Sub-folder of the records accounted during training. */
    public static final String TRAINING_RECORDS = "epochs";
    /** Sub-folder of the records accounted at checkpoints. */
    public static final String CHECKPOINT_RECORDS = "checkpoints";
    /** Largest number of epoch rows in the cosine heat-map (the paper shows the first 30). */
    public static final int HEATMAP_ROWS = 50;

    /**
     * What an accounting from checkpoints produced: the per-checkpoint records and their summary.
     *
     * @param records one record per accounted checkpoint, in epoch order
     * @param noise   the run's labels and noise mask
     * @param runDir  the run folder (for messages)
     */
    public record Result(List<EpochAccount> records, NoisyLabels noise, Path runDir) implements Analysis.Result {
        /** The headline numbers. */
        public Summary headline() {
            return summaryOf(records, noise, EpochAccount.AT_CHECKPOINT);
        }

        @Override
        public List<SummaryRow> summaryRows() {
            return rows(summaryOf(records, noise, EpochAccount.AT_CHECKPOINT));
        }
    }

    /**
     * Options of the checkpoint analysis.
     *
     * @param checkpoints checkpoint epochs to account; empty = every checkpoint of the run
     * @param batchSize   mini-batch size; 0 = the run's training batch size (the gradient sums and batch-norm
     *                    statistics depend on it)
     * @param exampleNorms how per-example gradient norms are computed (eval mode by default)
     */
    public record Options(List<Integer> checkpoints, int batchSize, GradientAccumulator.ExampleNorms exampleNorms) {
        /** Validates. */
        public Options {
            checkpoints = List.copyOf(checkpoints);
            if (exampleNorms == null) throw new IllegalArgumentException("per-example norm mode is required");
            if (batchSize < 0) throw new IllegalArgumentException("batch size must be >= 0 (0 = the run's), got " + batchSize);
        }

        /** These checkpoints and batch size, eval-mode per-example norms. */
        public Options(List<Integer> checkpoints, int batchSize) {
            this(checkpoints, batchSize, GradientAccumulator.ExampleNorms.EVAL);
        }

        /** Every checkpoint, the run's batch size, eval-mode per-example norms. */
        public static Options defaults() {
            return new Options(List.of(), 0);
        }
    }

    /**
     * Headline numbers (also {@code results.json}, which adds per-epoch arrays).
     *
     * @param source                       {@link EpochAccount#DURING_TRAINING} or {@link EpochAccount#AT_CHECKPOINT}
     * @param exampleNorms                 what the per-example norms are ({@link GradientAccumulator.ExampleNorms#description()})
     * @param epochs                       the accounted epochs (or checkpoints)
     * @param groups                       layer groups
     * @param meanCleanExampleNorm         mean of {@code ||∇ CE_i||} over clean examples and accounted epochs
     * @param meanNoisyExampleNorm         same over noisy examples
     * @param noisyToCleanExampleNormRatio ratio of the two
     * @param meanCosine                   mean over epochs and groups of the clean-vs-noisy gradient cosine
     * @param meanCleanNorm                mean over epochs of the clean part's normalised norm summed over groups
     * @param meanNoisyNorm                same for the noisy part
     * @param meanTotalNorm                same for the total gradient
     * @param maxAdditivityError           largest relative deviation of {@code G_c + G_n} from {@code G_t}
     */
    public record Summary(String source, String exampleNorms, int[] epochs, List<String> groups, double meanCleanExampleNorm,
                          double meanNoisyExampleNorm, double noisyToCleanExampleNormRatio, double meanCosine,
                          double meanCleanNorm, double meanNoisyNorm, double meanTotalNorm, double maxAdditivityError) { }

    /** Headline rows of a summary (per-example norm ratio, mean cosine, layer gradient norms). */
    public static List<SummaryRow> rows(Summary g) {
        return List.of(
                new SummaryRow("per-example grad norm (" + g.exampleNorms() + "), noisy / clean",
                        String.format(Locale.ROOT, "%.2f (%.4g / %.4g)",
                        g.noisyToCleanExampleNormRatio(), g.meanNoisyExampleNorm(), g.meanCleanExampleNorm())),
                new SummaryRow("cosine(clean, noisy gradient), mean", String.format(Locale.ROOT, "%.3f", g.meanCosine())),
                new SummaryRow("layer grad norm clean / noisy / total", String.format(Locale.ROOT, "%.4g / %.4g / %.4g",
                        g.meanCleanNorm(), g.meanNoisyNorm(), g.meanTotalNorm())));
    }

    /** Folder of the records of {@code source}. */
    public static Path recordsDir(RunFolder run, String source) {
        return run.analysisPath(NAME).resolve(source.equals(EpochAccount.DURING_TRAINING) ? TRAINING_RECORDS : CHECKPOINT_RECORDS);
    }

    /** Writes one record. */
    public static void save(RunFolder run, EpochAccount account) throws IOException {
        Path dir = recordsDir(run, account.source());
        Files.createDirectories(dir);
        account.save(dir.resolve(EpochAccount.fileName(account.epoch())));
    }

    /** The records of {@code source} in epoch order (empty when none). */
    public static List<EpochAccount> readRecords(RunFolder run, String source) throws IOException {
        Path dir = recordsDir(run, source);
        List<EpochAccount> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "epoch-*.safetensors")) {
            for (Path p : s) out.add(EpochAccount.load(p));
        }
        out.sort(Comparator.comparingInt(EpochAccount::epoch));
        return out;
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.GRADIENT_ACCOUNTING;
    }

    /** Accounting from checkpoints replaces earlier checkpoint records only; records made during training stay. */
    @Override
    public List<Path> previousResults(RunFolder run) {
        Path d = recordsDir(run, EpochAccount.AT_CHECKPOINT);
        return Files.isDirectory(d) ? List.of(d) : List.of();
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        RunFolder run = data.run();
        run.requireNoisy("Gradient accounting");
        for (int e : epochs(run, options)) run.requireIntactCheckpoint(e); // all present and whole before the first pass
    }

    private static List<Integer> epochs(RunFolder run, Options options) throws IOException {
        List<Integer> epochs = new ArrayList<>(options.checkpoints());
        if (epochs.isEmpty()) {
            for (RunFolder.Checkpoint c : run.checkpoints()) epochs.add(c.epoch());
            if (epochs.isEmpty()) run.requireCheckpoint(0); // throws, naming the file and the command
        }
        return epochs;
    }

    /**
     * Accounts the saved checkpoints of a trained run (parameters fixed per checkpoint): one pass over the training
     * set per checkpoint with the run's batches, train-mode batch-norm.
     *
     * @throws RunFolderException for a missing, corrupt or mismatching checkpoint (naming the file)
     */
    @Override
    public Result run(RunData data, Options options, Progress progress) throws IOException {
        RunFolder run = data.run();
        ExperimentConfig cfg = run.config();
        NoisyLabels noise = run.noise();
        List<Integer> epochs = epochs(run, options);
        Module model = data.newModel();
        GradientAccumulator acc = new GradientAccumulator(model, noise.mask(), options.exampleNorms());
        List<EpochAccount> records = new ArrayList<>();
        try (LoaderBatchSource source = TrainingRecipe.batches(data, data.labeledTrain(), options.batchSize());
             Progress.Task task = progress.task("gradient accounting (" + epochs.size() + " checkpoints)",
                     (long) epochs.size() * source.batchesPerEpoch())) {
            for (int e : epochs) {
                data.loadCheckpoint(e, model);
                model.train(true);
                for (LabeledBatch lb : source.epoch(e)) {
                    try (TensorScope s = Tensors.scope()) {
                        model.zeroGrad();
                        Tensor logits;
                        try (BatchContext ctx = BatchContext.of(lb.exampleIds())) {
                            logits = model.forward(lb.inputs());
                        }
                        acc.exampleNormPass(lb);
                        acc.partialPasses(logits, lb);
                        acc.beginTotalPass(lb);
                        try {
                            Functional.crossEntropy(logits, lb.labels()).backward();
                        } catch (RuntimeException ex) {
                            acc.abortTotalPass();
                            throw ex;
                        }
                        acc.endTotalPass(lb);
                        model.zeroGrad();
                    }
                    task.step();
                }
                records.add(acc.finish(e, EpochAccount.AT_CHECKPOINT));
            }
        }
        return new Result(records, noise, run.dir());
    }

    @Override
    public void write(Result r, Path dir) throws IOException {
        Path recordsDir = dir.resolve(CHECKPOINT_RECORDS);
        Files.createDirectories(recordsDir);
        for (EpochAccount a : r.records()) a.save(recordsDir.resolve(EpochAccount.fileName(a.epoch())));
        writeSummary(r.records(), r.noise(), EpochAccount.AT_CHECKPOINT, dir);
    }

    /**
     * Reads the records of {@code source} and writes {@code results.json}, the CSV tables and the charts.
     *
     * @throws RunFolderException when there are no records of that kind
     */
    public static Summary summarize(RunFolder run, String source) throws IOException {
        List<EpochAccount> acc = readRecords(run, source);
        Path dir = recordsDir(run, source);
        if (acc.isEmpty()) {
            throw new RunFolderException(dir, "no gradient-accounting records in " + dir + "; train with `engram train"
                    + " --grad-accounting` or run `engram grad-accounting --run " + run.dir() + "`");
        }
        return writeSummary(acc, run.noise(), source, run.analysisDir(NAME));
    }

    /** The headline numbers of {@code acc} without writing anything. */
    static Summary summaryOf(List<EpochAccount> acc, NoisyLabels noise, String source) {
        try {
            return writeSummary(acc, noise, source, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Summarizes {@code acc}; writes {@code results.json}, the CSV tables and the charts into {@code out} unless it is
     * null.
     */
    static Summary writeSummary(List<EpochAccount> acc, NoisyLabels noise, String source, Path out) throws IOException {
        if (acc.isEmpty()) throw new IllegalArgumentException("gradient accounting: no records to summarize");
        int[] cleanIdx = noise.cleanIndices(), noisyIdx = noise.noisyIndices();
        List<String> groups = acc.get(0).groups();
        int gN = groups.size(), m = acc.size();
        for (EpochAccount a : acc) {
            if (!a.groups().equals(groups) || a.examples() != noise.size()) {
                throw new IllegalArgumentException("gradient-accounting record of epoch " + a.epoch()
                        + " has groups " + a.groups() + " and " + a.examples() + " examples; expected " + groups + " and "
                        + noise.size());
            }
        }
        String epochWord = source.equals(EpochAccount.DURING_TRAINING) ? "epoch" : "checkpoint";
        GradientAccumulator.ExampleNorms normMode = acc.get(0).normMode();
        for (EpochAccount a : acc) {
            if (a.normMode() != normMode) {
                throw new IllegalArgumentException("gradient-accounting records mix per-example norm modes: "
                        + normMode + " and " + a.normMode() + " (epoch " + a.epoch() + "); recompute them with one mode");
            }
        }
        String normLabel = normMode.shortLabel();

        CsvTable layers = new CsvTable(epochWord, "layer", "clean_norm", "noisy_norm", "total_norm", "cosine");
        CsvTable examples = new CsvTable(epochWord, "norm_mode", "layer", "clean_mean", "clean_median", "noisy_mean", "noisy_median",
                "noisy_to_clean_mean_ratio");
        int[] epochs = new int[m];
        double[] cleanSum = new double[m], noisySum = new double[m], totalSum = new double[m];
        double[] exClean = new double[m], exNoisy = new double[m], exCleanMed = new double[m], exNoisyMed = new double[m];
        double[][] cosines = new double[m][gN];
        double[] meanClean = new double[gN], meanNoisy = new double[gN], meanTotal = new double[gN];
        double cosAll = 0, pooledClean = 0, pooledNoisy = 0, maxErr = 0;
        int cosCount = 0;
        long pooledCleanN = 0, pooledNoisyN = 0;
        for (int k = 0; k < m; k++) {
            EpochAccount a = acc.get(k);
            epochs[k] = a.epoch();
            cleanSum[k] = a.cleanNormSum();
            noisySum[k] = a.noisyNormSum();
            totalSum[k] = a.totalNormSum();
            maxErr = Math.max(maxErr, a.additivityError());
            for (int g = 0; g < gN; g++) {
                layers.addRow(a.epoch(), groups.get(g), a.cleanNorm()[g], a.noisyNorm()[g], a.totalNorm()[g], a.cosine()[g]);
                cosines[k][g] = a.cosine()[g];
                meanClean[g] += a.cleanNorm()[g] / m;
                meanNoisy[g] += a.noisyNorm()[g] / m;
                meanTotal[g] += a.totalNorm()[g] / m;
                if (!Double.isNaN(a.cosine()[g])) {
                    cosAll += a.cosine()[g];
                    cosCount++;
                }
            }
            for (int g = 0; g <= gN; g++) {
                float[] v = a.exampleNorms()[g];
                double[] c = values(v, cleanIdx), n = values(v, noisyIdx);
                double cm = mean(c), nm = mean(n);
                examples.addRow(a.epoch(), normMode.name().toLowerCase(Locale.ROOT), g == gN ? "all" : groups.get(g), cm, median(c), nm, median(n), nm / cm);
                if (g == gN) {
                    exClean[k] = cm;
                    exNoisy[k] = nm;
                    exCleanMed[k] = median(c);
                    exNoisyMed[k] = median(n);
                    for (double x : c) pooledClean += x;
                    for (double x : n) pooledNoisy += x;
                    pooledCleanN += c.length;
                    pooledNoisyN += n.length;
                }
            }
        }
        double pc = pooledClean / Math.max(1, pooledCleanN), pn = pooledNoisy / Math.max(1, pooledNoisyN);
        Summary summary = new Summary(source, normLabel, epochs, groups, pc, pn, pn / pc, cosCount == 0 ? Double.NaN : cosAll / cosCount,
                mean(cleanSum), mean(noisySum), mean(totalSum), maxErr);
        if (out == null) return summary;
        layers.write(out.resolve("layers.csv"));
        examples.write(out.resolve("example-norms.csv"));

        charts(out, acc, groups, epochWord, normLabel, epochs, meanClean, meanNoisy, meanTotal, cosines, exClean, exNoisy,
                exCleanMed, exNoisyMed, cleanIdx, noisyIdx);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("source", source.equals(EpochAccount.DURING_TRAINING)
                ? "during training: each epoch's batches, parameters before each update"
                : "at checkpoints: parameters fixed, one pass over the training set in train mode");
        r.put("exampleNormMode", normMode.name());
        r.put("exampleNorms", normMode.description());
        r.put("summary", summary);
        r.put("definition", "per layer: sum over its tensors p of ||G_p|| / sqrt(numel p), G_p = sum over the epoch's"
                + " batches of the gradient of (1/B) sum_{i in part} CE_i; cosine: mean over the layer's tensors of"
                + " cos(G_clean,p, G_noisy,p); per-example norm: ||grad CE_i||, " + (normMode == GradientAccumulator.ExampleNorms.EVAL
                ? "from an extra pass in evaluation mode (true per-example gradients)"
                : "from the train-mode total backward pass (batch-coupled through batch-norm statistics)"));
        r.put("layers", groups);
        r.put(epochWord + "s", epochs);
        r.put("cleanNormByLayerMeanOverEpochs", meanClean);
        r.put("noisyNormByLayerMeanOverEpochs", meanNoisy);
        r.put("totalNormByLayerMeanOverEpochs", meanTotal);
        r.put("cleanNormSumByEpoch", cleanSum);
        r.put("noisyNormSumByEpoch", noisySum);
        r.put("totalNormSumByEpoch", totalSum);
        r.put("meanCleanExampleNormByEpoch", exClean);
        r.put("meanNoisyExampleNormByEpoch", exNoisy);
        r.put(Results.SUMMARY_ROWS, rows(summary));
        Results.writeJson(out.resolve(RunFolder.RESULTS), r);
        return summary;
    }

    private static void charts(Path out, List<EpochAccount> acc, List<String> groups, String epochWord, String normLabel,
                               int[] epochs,
                               double[] meanClean, double[] meanNoisy, double[] meanTotal, double[][] cosines,
                               double[] exClean, double[] exNoisy, double[] exCleanMed, double[] exNoisyMed,
                               int[] cleanIdx, int[] noisyIdx) throws IOException {
        int gN = groups.size(), m = acc.size();
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("clean", meanClean);
        bars.put("noisy", meanNoisy);
        bars.put("total", meanTotal);
        Charts.groupedBar(out.resolve("norms-by-layer.png"), "Gradient norm per layer (mean over " + m + " " + epochWord
                + "s)", "layer group", "sum of ||G_p|| / sqrt(numel p)", Charts.layerLabels(groups), bars);

        // blocks of epochs (the paper averages blocks of 5 epochs), at most 8 blocks
        int block = Math.max(5, (m + 7) / 8);
        double[] x = new double[gN];
        for (int g = 0; g < gN; g++) x[g] = g + 1;
        for (String part : List.of("clean", "noisy")) {
            List<Charts.Series> series = new ArrayList<>();
            for (int from = 0; from < m; from += block) {
                int to = Math.min(m, from + block);
                double[] y = new double[gN];
                for (int k = from; k < to; k++) {
                    double[] v = part.equals("clean") ? acc.get(k).cleanNorm() : acc.get(k).noisyNorm();
                    for (int g = 0; g < gN; g++) y[g] += v[g] / (to - from);
                }
                series.add(Charts.Series.of(epochWord + "s " + epochs[from] + "–" + epochs[to - 1], x, y));
            }
            Charts.line(out.resolve(part + "-norms-by-layer-blocks.png"), "Gradient norm of the " + part
                    + " examples per layer, by block of " + epochWord + "s", "layer group (" + Charts.layerRange(groups) + ")", "sum of ||G_p|| / sqrt(numel p)", series);
        }

        int rows = Math.min(m, HEATMAP_ROWS);
        List<String> rowLabels = new ArrayList<>();
        double[][] cells = new double[rows][];
        for (int k = 0; k < rows; k++) {
            rowLabels.add(Integer.toString(epochs[k]));
            cells[k] = cosines[k].clone();
            for (int g = 0; g < gN; g++) if (Double.isNaN(cells[k][g])) cells[k][g] = 0; // undefined: no gradient
        }
        Charts.heatMap(out.resolve("cosine-heatmap.png"), "Cosine between clean and noisy gradients", "layer group",
                epochWord, Charts.layerLabels(groups), rowLabels, cells, -1, 1);

        double[] ex = new double[m];
        for (int k = 0; k < m; k++) ex[k] = epochs[k];
        List<Charts.Series> exSeries = new ArrayList<>();
        exSeries.add(Charts.Series.of("clean mean", ex, finite(exClean)));
        exSeries.add(Charts.Series.of("noisy mean", ex, finite(exNoisy)));
        exSeries.add(Charts.Series.of("clean median", ex, finite(exCleanMed)));
        exSeries.add(Charts.Series.of("noisy median", ex, finite(exNoisyMed)));
        Charts.line(out.resolve("example-norms-by-epoch.png"), "Per-example gradient norm ||grad CE_i|| (" + normLabel + ")",
                epochWord,
                "gradient norm", exSeries);

        // each example's mean norm over the accounted epochs, log10
        int n = acc.get(0).examples();
        double[] perExample = new double[n];
        int[] counts = new int[n];
        for (EpochAccount a : acc) {
            float[] v = a.allNorms();
            for (int i = 0; i < n; i++) {
                if (!Float.isNaN(v[i])) {
                    perExample[i] += v[i];
                    counts[i]++;
                }
            }
        }
        for (int i = 0; i < n; i++) perExample[i] = counts[i] == 0 ? Double.NaN : Math.log10(Math.max(1e-12, perExample[i] / counts[i]));
        Map<String, double[]> hist = new LinkedHashMap<>();
        hist.put("clean", values(perExample, cleanIdx));
        hist.put("noisy", values(perExample, noisyIdx));
        Charts.histogram(out.resolve("example-norm-histogram.png"), "Per-example gradient norm (" + normLabel + "), mean over "
                + epochWord + "s (log10)", "log10 ||grad CE_i||", hist, 40, true);
    }

    private static double[] finite(double[] v) {
        double[] o = v.clone();
        for (int i = 0; i < o.length; i++) if (!Double.isFinite(o[i])) o[i] = 0;
        return o;
    }

    private static double[] values(float[] v, int[] idx) {
        double[] out = new double[idx.length];
        int k = 0;
        for (int i : idx) if (!Float.isNaN(v[i])) out[k++] = v[i];
        return Arrays.copyOf(out, k);
    }

    private static double[] values(double[] v, int[] idx) {
        double[] out = new double[idx.length];
        int k = 0;
        for (int i : idx) if (!Double.isNaN(v[i])) out[k++] = v[i];
        return Arrays.copyOf(out, k);
    }

    static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : 0.5 * (s[h - 1] + s[h]);
    }

    /** One line for consoles: the headline numbers. */
    public static String headline(Summary s) {
        return String.format(Locale.ROOT, "per-example gradient norm (%s) noisy/clean %.2f (%.4g vs %.4g), clean-vs-noisy"
                        + " cosine %.3f, layer norms clean %.4g noisy %.4g total %.4g", s.exampleNorms(),
                s.noisyToCleanExampleNormRatio(),
                s.meanNoisyExampleNorm(), s.meanCleanExampleNorm(), s.meanCosine(), s.meanCleanNorm(), s.meanNoisyNorm(),
                s.meanTotalNorm());
    }
}
