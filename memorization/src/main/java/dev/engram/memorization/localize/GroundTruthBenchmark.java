package dev.engram.memorization.localize;

import dev.engram.engine.Device;
import dev.engram.engine.ExampleTiedMasks;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.layers.ExampleTiedDropout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The localization benchmark against ground truth ({@code engram localization-benchmark}), two constructions:
 * example-tied dropout (below) and injection ({@link InjectionGroundTruth}, when {@link Options#injection} is given and
 * the model allows it; otherwise the result says why it was skipped).
 *
 * <p>ETD ground truth (docs/methods.md §11.9): a model of the run is trained with
 * example-tied dropout at its taps (docs/methods.md §6), which ties each training example to its own memorization
 * units, known from (seed, example id, layer). For a noisy example the model memorized (it predicts the corrupted
 * label with its own masks), the truth set is its active memorization units: the units past the generalization ones
 * whose tied bit is 1. Every localization method ranks all units of the model (with the target's example-tied masks
 * in place, as in training) and is measured against that truth, and by ablation, overlap and time
 * ({@link LocalizationComparison}). The test-set collateral uses the expectation ("test") mode.
 *
 * <p>The trained models are written to {@code etd-model.safetensors} and {@code plain-model.safetensors} (the one the
 * injection starts from, trained with the run's recipe without example-tied dropout) in the analysis folder; a later
 * run with the same settings reuses them instead of training again.
 */
public final class GroundTruthBenchmark implements Analysis<GroundTruthBenchmark.Options, GroundTruthBenchmark.Result> {
    /** The file of the trained model in the analysis folder. */
    public static final String MODEL_FILE = "etd-model.safetensors";
    /** The file of the plainly trained model (before injection) in the analysis folder. */
    public static final String PLAIN_MODEL_FILE = "plain-model.safetensors";

    /**
     * Options.
     *
     * @param methods        method names
     * @param targets        memorized noisy examples to localize (a seeded sample)
     * @param epochs         training epochs of the example-tied dropout model; 0 = the run's
     * @param pGen           generalization fraction of example-tied dropout
     * @param pMem           tie probability of a memorization unit
     * @param methodSettings the methods' settings
     * @param comparison     the measurements' settings
     * @param injection      the injection construction's settings (null: ETD only)
     */
    public record Options(List<String> methods, int targets, int epochs, double pGen, double pMem,
                          LocalizationMethods.Settings methodSettings, LocalizationComparison.Settings comparison,
                          InjectionGroundTruth.Options injection) {
        /** Validates. */
        public Options {
            new LocalizationAnalysis.Options(methods, Math.max(1, targets), -1, methodSettings, comparison); // same checks
            if (targets < 1) throw new IllegalArgumentException("localization benchmark: targets must be >= 1, got " + targets);
            if (epochs < 0) throw new IllegalArgumentException("localization benchmark: epochs must be >= 0 (0 = the run's), got " + epochs);
            if (!(pGen > 0 && pGen < 1)) throw new IllegalArgumentException("localization benchmark: pGen must be in (0, 1), got " + pGen);
            if (!(pMem > 0 && pMem <= 1)) throw new IllegalArgumentException("localization benchmark: pMem must be in (0, 1], got " + pMem);
            methods = List.copyOf(methods);
        }
    }

    /**
     * The result.
     *
     * @param model        the run's model name
     * @param taps         units per tap
     * @param epochs       training epochs of the model
     * @param pGen         example-tied dropout pGen
     * @param pMem         example-tied dropout pMem
     * @param seed         example-tied dropout mask seed (the run's)
     * @param trainSeconds training time (0 when reused)
     * @param reused       whether the model was read from an earlier result
     * @param memorized    memorized noisy examples (own masks)
     * @param noisy        noisy examples
     * @param droppedStillMemorized of the targets, those still predicted with the corrupted label with all memorization
     *                     units dropped (ETD's "drop" mode): the truth does not hold all of their memorization
     * @param comparison   the methods' measurements
     * @param table        the comparison as text
     * @param weights      the trained model's weights (written, not kept in results.json)
     * @param injection    the injection construction (null when skipped)
     * @param injectionSkipped why the injection construction was skipped (null when run)
     * @param plainWeights the plainly trained model's weights before injection (null when skipped)
     */
    public record Result(String model, Map<String, Integer> taps, int epochs, double pGen, double pMem, long seed,
                         double trainSeconds,
                         boolean reused, int memorized, int noisy, int droppedStillMemorized,
                         LocalizationComparison.Comparison comparison, List<String> table,
                         Map<String, dev.engram.engine.Tensor> weights, InjectionGroundTruth.Result injection,
                         String injectionSkipped, Map<String, dev.engram.engine.Tensor> plainWeights)
            implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>(LocalizationComparison.truthRows(comparison, "ETD, "));
            if (injection != null) {
                for (SummaryRow r : injection.summaryRows()) rows.add(new SummaryRow("injection, " + r.label(), r.value(), r.numbers()));
            } else {
                rows.add(new SummaryRow("injection", "skipped: " + injectionSkipped, List.of())); // a reason, no numbers
            }
            return rows;
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.LOCALIZATION_BENCHMARK;
    }

    @Override
    public void check(RunData data, Options o) throws IOException {
        data.run().requireNoisy("The localization benchmark");

        new MaskedModel(data.newModel(), null, data.trainSet());
        ExampleTiedDropoutExperiment.taps(data.newModel());
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        Module model = data.newModel();
        List<String> taps = ExampleTiedDropoutExperiment.taps(model);
        long seed = data.config().seed();
        int epochs = o.epochs() > 0 ? o.epochs() : data.config().epochs();
        TapPlacement own = TapPlacement.exampleTied(taps, o.pGen(), o.pMem(), seed);
        Map<String, String> meta = Map.of("pGen", String.valueOf(o.pGen()), "pMem", String.valueOf(o.pMem()),
                "epochs", String.valueOf(epochs), "seed", String.valueOf(seed));
        Path previous = data.run().analysisPath(kind().dirName()).resolve(MODEL_FILE);
        boolean reused = false;
        double trainSeconds = 0;
        if (Files.isRegularFile(previous) && meta.equals(SafeTensors.read(previous).metadata())) {
            model.loadStateDict(SafeTensors.load(previous), true);
            model.eval();
            reused = true;
            progress.line("localization benchmark: reusing the example-tied dropout model " + previous);
        } else {
            progress.line(String.format(Locale.ROOT, "localization benchmark: training %s with example-tied dropout"
                    + " (pGen %.2f, pMem %.2f) at %s, %d epochs", data.config().model(), o.pGen(), o.pMem(), taps, epochs));
            trainSeconds = ExampleTiedDropoutExperiment.train(data, model, own, epochs, progress);
        }
        own.setEvalMode(ExampleTiedDropout.Mode.TRAIN);
        TapPlacement expectation = TapPlacement.exampleTied(taps, o.pGen(), o.pMem(), seed);
        expectation.train(false);
        expectation.setEvalMode(ExampleTiedDropout.Mode.TEST);
        TapPlacement drop = TapPlacement.exampleTied(taps, o.pGen(), o.pMem(), seed);
        drop.train(false);
        drop.setEvalMode(ExampleTiedDropout.Mode.DROP);
        ExampleSet train = data.trainSet();
        MaskedModel onTrain = new MaskedModel(model, own, train);
        MaskedModel onTest = new MaskedModel(model, expectation, data.testSet());
        int[] memorized = LocalizationAnalysis.memorizedNoisy(onTrain, o.comparison().batchSize());
        int[] pool = memorized;
        if (memorized.length == 0) {
            progress.line("localization benchmark: the example-tied dropout model memorized none of the "
                    + train.noisyCount() + " noisy examples (train longer: --epochs); the targets are noisy examples it"
                    + " does not fit, and the numbers say little");
            pool = train.rowsWhere(true);
        }
        int[] targets = LocalizationAnalysis.sample(pool, o.targets(), o.methodSettings().seed());
        int still = LocalizationAnalysis.memorizedNoisy(new MaskedModel(model, drop, train.subset(targets)),
                o.comparison().batchSize()).length;
        boolean[][] truth = truth(onTrain, targets, o.pGen(), o.pMem(), seed);
        progress.line(String.format(Locale.ROOT, "localization benchmark: %d targets of %d memorized noisy examples (of %d);"
                + " %d of the targets still memorized with every memorization unit dropped; %d units, |truth| mean %.1f",
                targets.length, memorized.length, train.noisyCount(), still, onTrain.units(),
                Arrays.stream(truth).mapToInt(t -> { int c = 0; for (boolean b : t) if (b) c++; return c; }).average().orElse(0)));
        LocalizationComparison.Comparison c = LocalizationComparison.runEach(onTrain, onTest,
                LocalizationMethods.create(o.methods(), o.methodSettings()), targets, truth, o.comparison(), progress);
        Map<String, dev.engram.engine.Tensor> weights = copy(model.stateDict());
        InjectionGroundTruth.Result injection = null;
        Map<String, dev.engram.engine.Tensor> plainWeights = null;
        String skipped = null;
        if (o.injection() == null) {
            skipped = "not asked for";
        } else {
            try {
                InjectionGroundTruth.check(data, o.injection());
            } catch (IllegalArgumentException e) {
                skipped = e.getMessage();
            }
            if (skipped == null) {
                Module plain = data.newModel();
                Map<String, String> plainMeta = Map.of("epochs", String.valueOf(epochs), "seed", String.valueOf(seed));
                Path previousPlain = data.run().analysisPath(kind().dirName()).resolve(PLAIN_MODEL_FILE);
                if (Files.isRegularFile(previousPlain) && plainMeta.equals(SafeTensors.read(previousPlain).metadata())) {
                    plain.loadStateDict(SafeTensors.load(previousPlain), true);
                    progress.line("localization benchmark: reusing the plainly trained model " + previousPlain);
                } else {
                    progress.line("localization benchmark: training " + data.config().model() + " without example-tied"
                            + " dropout for the injection construction, " + epochs + " epochs");
                    ExampleTiedDropoutExperiment.train(data, plain, null, epochs, progress);
                }
                plainWeights = copy(plain.stateDict());
                try {
                    injection = InjectionGroundTruth.run(data, plain, epochs, o.injection(), progress);
                } catch (IllegalArgumentException e) { // nothing memorized: no targets
                    skipped = e.getMessage();
                    progress.line("localization benchmark: injection skipped: " + skipped);
                }
            }
            else progress.line("localization benchmark: injection skipped: " + skipped);
        }
        List<String> table = new ArrayList<>();
        table.add(String.format(Locale.ROOT, "example-tied dropout (pGen %.2f, pMem %.2f, %d epochs): %d targets of %d"
                + " memorized noisy examples (of %d), %d of them still memorized with every memorization unit dropped;"
                + " |truth| mean %.1f of %d units", o.pGen(), o.pMem(), epochs, targets.length, memorized.length,
                train.noisyCount(), still, Arrays.stream(truth).mapToInt(t -> { int k = 0; for (boolean b : t) if (b) k++; return k; })
                .average().orElse(0), onTrain.units()));
        table.addAll(ComparisonFiles.table(c));
        return new Result(data.config().model(), onTrain.tapChannels(), epochs, o.pGen(), o.pMem(), seed, trainSeconds, reused,
                memorized.length, train.noisyCount(), still, c, List.copyOf(table), weights, injection, skipped, plainWeights);
    }

    /** A copy of a state dict (the tensors, not references to them). */
    static Map<String, dev.engram.engine.Tensor> copy(Map<String, dev.engram.engine.Tensor> state) {
        Map<String, dev.engram.engine.Tensor> out = new LinkedHashMap<>();
        try (dev.engram.engine.Grad g = dev.engram.engine.Grad.disabled()) {
            state.forEach((k, t) -> out.put(k, t.copy()));
        }
        return out;
    }

    /** Per target, its active memorization units: past the first floor(pGen·C) of each tap, tied bit 1. */
    static boolean[][] truth(MaskedModel m, int[] targets, double pGen, double pMem, long seed) {
        boolean[][] out = new boolean[targets.length][m.units()];
        int[] ids = new int[targets.length];
        for (int t = 0; t < targets.length; t++) ids[t] = m.data().ids()[targets[t]];
        int layer = 0, offset = 0;
        for (var e : m.tapChannels().entrySet()) {
            int c = e.getValue();
            int g = ExampleTiedMasks.generalizationChannels(c, pGen);
            float[] bits = ExampleTiedMasks.train(Device.CPU, seed, ids, layer, c, pGen, pMem).toFloatArray();
            for (int t = 0; t < targets.length; t++) {
                for (int u = g; u < c; u++) out[t][offset + u] = bits[t * c + u] != 0;
            }
            offset += c;
            layer++;
        }
        return out;
    }

    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("groundTruth", "example-tied dropout: a target's active memorization units");
        json.put("model", r.model());
        json.put("units", r.taps());
        json.put("etd", Map.of("pGen", r.pGen(), "pMem", r.pMem(), "epochs", r.epochs(), "trainSeconds", r.trainSeconds(),
                "reused", r.reused()));
        json.put("noisyExamples", r.noisy());
        json.put("memorizedNoisy", r.memorized());
        json.put("targetsMemorized", r.memorized() > 0);
        json.put("targetsStillMemorizedWithMemorizationUnitsDropped", r.droppedStillMemorized());
        json.put("ks", r.comparison().ks());
        json.put("accuracyNothingZeroed", Map.of("train", r.comparison().baseTrainAcc(), "test", r.comparison().baseTestAcc()));
        json.put("methods", ComparisonFiles.summary(r.comparison()));
        json.put("table", r.table());
        Files.write(dir.resolve("etd-table.txt"), r.table());
        ComparisonFiles.write(r.comparison(), dir, "etd-", "benchmark.png", "Localization with ETD ground truth: " + r.model(),
                r.taps());
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("analysis", kind().dirName());
        all.put("etd", json);
        all.put("injection", r.injection() == null ? Map.of("skipped", r.injectionSkipped()) : InjectionGroundTruth.write(r.injection(), dir));
        Results.writeJson(dir.resolve(RunFolder.RESULTS), all);
        if (r.plainWeights() != null) {
            SafeTensors.write(dir.resolve(PLAIN_MODEL_FILE), r.plainWeights(), Map.of("epochs", String.valueOf(r.epochs()),
                    "seed", String.valueOf(r.seed())));
        }
        SafeTensors.write(dir.resolve(MODEL_FILE), r.weights(), Map.of("pGen", String.valueOf(r.pGen()),
                "pMem", String.valueOf(r.pMem()), "epochs", String.valueOf(r.epochs()), "seed", String.valueOf(r.seed())));
    }
}
