package dev.engram.memorization.localize;

import dev.engram.datasets.TrainTest;
import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.TinyDatasets;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.models.SmallCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Injection fine-tunes exactly the chosen units' own parameters (incoming and outgoing weights) until the example is
 * memorized, and every injected example starts from the trained model's exact weights.
 */
class InjectionGroundTruthTest {
    /**
     * On the hand-built model of {@link LocalizationMethodsTest}, row 1 (class 0) is relabelled 2 and injected through
     * the constant unit h5 alone: its incoming row {@code 1.weight[5, :]}, {@code 1.bias[5]} and its outgoing column
     * {@code 3.weight[:, 5]} may change, every other entry stays bit-identical.
     */
    @Test
    void onlyTheChosenUnitsParametersChangeAndTheExampleIsMemorized() {
        Mlp model = LocalizationMethodsTest.model();
        ExampleSet d = LocalizationMethodsTest.data();
        int[] labels = d.labels().clone();
        labels[1] = 2;
        ExampleSet data = new ExampleSet(d.x(), labels, d.ids(), d.noisy(), 1, 2, 2, 3);
        MaskedModel m = new MaskedModel(model, null, data);
        assertEquals(0, MaskedModel.argmax(m.evaluate(new int[] {1}, null, null).logits()[0]));
        Map<String, float[]> start = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> start.put(n, p.toFloatArray()));
        Map<String, InjectionGroundTruth.TapParameters> tp = InjectionGroundTruth.unitParameters(m);
        assertEquals(new InjectionGroundTruth.TapParameters("1.weight", "1.bias", "3.weight"), tp.get("2.out"));
        boolean[] set = new boolean[m.units()];
        set[5] = true;
        Map<String, int[]> slices = InjectionGroundTruth.trainable(m, tp, set);
        assertArrayEquals(new int[] {20, 21, 22, 23}, slices.get("1.weight"));
        assertArrayEquals(new int[] {5}, slices.get("1.bias"));
        assertArrayEquals(new int[] {5, 11, 17}, slices.get("3.weight"), "column 5 of the 3x6 output weight");
        assertEquals(Set.of("1.weight", "1.bias", "3.weight"), slices.keySet());

        int steps = InjectionGroundTruth.inject(m, 1, slices, 500, 0.05, new int[] {2, 3, 5, 6});
        assertTrue(steps > 0 && steps < 500, "memorized within the budget after " + steps + " steps");
        double[] p = MaskedModel.softmax(m.evaluate(new int[] {1}, null, null).logits()[0]);
        assertTrue(p[2] >= InjectionGroundTruth.TARGET_PROBABILITY, "p(new label) " + p[2]);
        int changed = 0;
        for (var e : model.namedParameters().entrySet()) {
            float[] now = e.getValue().toFloatArray(), was = start.get(e.getKey());
            Set<Integer> own = slices.containsKey(e.getKey())
                    ? IntStream.of(slices.get(e.getKey())).boxed().collect(Collectors.toSet()) : Set.of();
            for (int k = 0; k < now.length; k++) {
                if (own.contains(k)) {
                    if (now[k] != was[k]) changed++;
                } else {
                    assertEquals(Float.floatToRawIntBits(was[k]), Float.floatToRawIntBits(now[k]),
                            e.getKey() + "[" + k + "] is frozen");
                }
            }
            assertTrue(e.getValue().requiresGrad(), "trainability restored");
        }
        assertTrue(model.namedParameters().get("3.weight").toFloatArray()[17] > start.get("3.weight")[17],
                "the unit's outgoing weight to the new class grew");
        assertTrue(changed >= 2, "the unit's parameters moved: " + changed);

        // a gradient left on the parameters (as training leaves it) changes nothing
        Mlp stale = LocalizationMethodsTest.model();
        MaskedModel s = new MaskedModel(stale, null, data);
        Tensor w = stale.namedParameters().get("1.weight");
        float[] ones = new float[(int) w.numel()];
        java.util.Arrays.fill(ones, 1f);
        w.setGrad(Tensor.of(ones, w.shape()));
        assertEquals(steps, InjectionGroundTruth.inject(s, 1, slices, 500, 0.05, new int[] {2, 3, 5, 6}));
        for (var e : stale.namedParameters().entrySet()) {
            assertArrayEquals(model.namedParameters().get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), 0f,
                    e.getKey() + " as without the stale gradient");
            assertEquals(null, e.getValue().grad(), e.getKey() + " has no gradient left");
        }
    }

    /**
     * The outgoing slice of a unit is exactly what reads it: zeroing those weights gives the same logits as masking
     * the unit (a conv channel feeding a convolution, a conv channel feeding a flatten + linear layer through max
     * pooling, a neuron feeding the output layer); the incoming slice is the unit's weight row.
     */
    @Test
    void aUnitsSlicesOnTheSmallCnnAreItsRowAndWhatReadsIt() {
        SmallCnn cnn = new SmallCnn(1, 8, 3, 5);
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[4 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        ExampleSet data = new ExampleSet(x, new int[] {0, 1, 2, 0}, new int[] {1, 2, 3, 4}, new boolean[4], 1, 8, 8, 3);
        MaskedModel m = new MaskedModel(cnn, null, data);
        assertEquals(Map.of("1.out", 32, "4.out", 64, "8.out", 128), m.tapChannels());
        Map<String, InjectionGroundTruth.TapParameters> tp = InjectionGroundTruth.unitParameters(m);
        assertEquals(new InjectionGroundTruth.TapParameters("0.weight", "0.bias", "3.weight"), tp.get("1.out"));
        assertEquals(new InjectionGroundTruth.TapParameters("3.weight", "3.bias", "7.weight"), tp.get("4.out"));
        assertEquals(new InjectionGroundTruth.TapParameters("7.weight", "7.bias", "9.weight"), tp.get("8.out"));

        Map<String, Tensor> params = cnn.namedParameters();
        Map<String, float[]> original = new LinkedHashMap<>();
        params.forEach((n, p) -> original.put(n, p.toFloatArray()));
        int[] rows = {0, 1, 2, 3};
        double[] active = m.activations(new int[] {0})[0];
        for (String tap : List.of("1.out", "4.out", "8.out")) {
            int first = m.flatIndex(tap, 0), ch = 0;
            while (active[first + ch] <= 0) ch++; // a unit active on row 0, so that masking it matters
            int unit = first + ch;
            boolean[] set = new boolean[m.units()];
            set[unit] = true;
            Map<String, int[]> slices = InjectionGroundTruth.trainable(m, tp, set);
            InjectionGroundTruth.TapParameters own = tp.get(tap);
            int rowSize = (int) (params.get(own.in()).numel() / params.get(own.in()).dim(0));
            assertArrayEquals(IntStream.range(ch * rowSize, (ch + 1) * rowSize).toArray(), slices.get(own.in()), tap);
            assertArrayEquals(new int[] {ch}, slices.get(own.bias()));
            float[] mask = m.ones();
            mask[unit] = 0;
            float[][] masked = m.evaluate(rows, new float[][] {mask, mask, mask, mask}, null).logits();
            float[] unmasked = m.evaluate(new int[] {0}, null, null).logits()[0];
            float[] w = original.get(own.out()).clone();
            for (int k : slices.get(own.out())) w[k] = 0;
            params.get(own.out()).copyFrom(Tensor.of(w, params.get(own.out()).shape()));
            float[][] cut = m.evaluate(rows, null, null).logits();
            params.get(own.out()).copyFrom(Tensor.of(original.get(own.out()), params.get(own.out()).shape()));
            for (int j = 0; j < rows.length; j++) assertArrayEquals(masked[j], cut[j], 1e-5f, tap + "#" + ch + " row " + j);
            assertTrue(differs(unmasked, masked[0]), "masking " + tap + "#" + ch + " changes row 0's logits");
        }
        // the slices of the conv channel 1.out#2 feeding conv 3 (64 x 32 x 3 x 3): input channel 2 of every filter
        boolean[] one = new boolean[m.units()];
        one[2] = true;
        Set<Integer> expected = new TreeSet<>();
        for (int o = 0; o < 64; o++) for (int q = 0; q < 9; q++) expected.add((o * 32 + 2) * 9 + q);
        assertEquals(expected, IntStream.of(InjectionGroundTruth.trainable(m, tp, one).get("3.weight")).boxed()
                .collect(Collectors.toCollection(TreeSet::new)));
        // 4.out#5 feeds 7.weight (128 x 64·2·2) through max pooling and flatten: columns 20..23 of every row
        boolean[] fc = new boolean[m.units()];
        fc[m.flatIndex("4.out", 5)] = true;
        expected.clear();
        for (int o = 0; o < 128; o++) for (int q = 20; q < 24; q++) expected.add(o * 256 + q);
        assertEquals(expected, IntStream.of(InjectionGroundTruth.trainable(m, tp, fc).get("7.weight")).boxed()
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    /** Conv, BatchNorm, ReLU (tap {@code 2.out}), flatten, linear: the layout of a BatchNorm model. */
    static final class ConvBnNet extends dev.engram.nn.Sequential implements dev.engram.nn.models.HasTaps {
        ConvBnNet(long seed) {
            dev.engram.nn.init.Seeds seeds = dev.engram.nn.init.Seeds.of(seed);
            add(new dev.engram.nn.layers.Conv2d(1, 4, 3, 1, 1, true, seeds));
            add(new dev.engram.nn.layers.BatchNorm2d(4));
            add(new dev.engram.nn.layers.ReLU());
            add(new dev.engram.nn.layers.Flatten());
            add(new dev.engram.nn.layers.Linear(4 * 4 * 4, 3, true, seeds));
        }

        @Override
        public Tensor forward(Tensor x) {
            int i = 0;
            for (Module m : children().values()) {
                x = m.forward(x);
                if (m instanceof dev.engram.nn.layers.ReLU) x = tap(i + ".out", x);
                i++;
            }
            return x;
        }

        @Override
        public List<String> tapNames() {
            return List.of("2.out");
        }
    }

    /**
     * Behind a BatchNorm the units' incoming weights are the convolution's rows before it (with the BatchNorm's scale
     * and shift of the channel), not the BatchNorm's per-channel scale alone; injection moves the convolution row.
     */
    @Test
    void behindABatchNormTheIncomingWeightsAreTheConvolutionsRows() {
        ConvBnNet net = new ConvBnNet(4);
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[6 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        ExampleSet data = new ExampleSet(x, new int[] {0, 1, 2, 0, 1, 2}, new int[] {1, 2, 3, 4, 5, 6}, new boolean[6],
                1, 4, 4, 3);
        MaskedModel m = new MaskedModel(net, null, data);
        Map<String, InjectionGroundTruth.TapParameters> tp = InjectionGroundTruth.unitParameters(m);
        assertEquals(new InjectionGroundTruth.TapParameters("0.weight", "0.bias", "4.weight", List.of("1.weight", "1.bias")),
                tp.get("2.out"));
        boolean[] set = new boolean[m.units()];
        set[1] = true;
        Map<String, int[]> slices = InjectionGroundTruth.trainable(m, tp, set);
        assertArrayEquals(IntStream.range(9, 18).toArray(), slices.get("0.weight"), "row 1 of the 4x1x3x3 convolution");
        assertArrayEquals(new int[] {1}, slices.get("0.bias"));
        assertArrayEquals(new int[] {1}, slices.get("1.weight"));
        assertArrayEquals(new int[] {1}, slices.get("1.bias"));
        Set<Integer> cols = new TreeSet<>();
        for (int o = 0; o < 3; o++) for (int q = 16; q < 32; q++) cols.add(o * 64 + q);
        assertEquals(cols, IntStream.of(slices.get("4.weight")).boxed().collect(Collectors.toCollection(TreeSet::new)));

        float[] before = net.namedParameters().get("0.weight").toFloatArray();
        int steps = InjectionGroundTruth.inject(m, 0, slices, 3, 0.05, new int[] {1, 2});
        assertTrue(steps > 0, "fine-tuned");
        float[] after = net.namedParameters().get("0.weight").toFloatArray();
        assertTrue(differs(Arrays.copyOfRange(before, 9, 18), Arrays.copyOfRange(after, 9, 18)), "the unit's row moved");
        assertArrayEquals(Arrays.copyOfRange(before, 0, 9), Arrays.copyOfRange(after, 0, 9), "another unit's row is frozen");
    }

    private static boolean differs(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return true;
        return false;
    }

    @Test
    void unitsAreDrawnFromThePool() {
        MaskedModel m = new MaskedModel(new SmallCnn(1, 8, 3, 5), null, new ExampleSet(new float[64], new int[1],
                new int[] {1}, new boolean[1], 1, 8, 8, 3));
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 5; i++) {
            boolean[] last = InjectionGroundTruth.drawUnits(m, InjectionGroundTruth.UnitPool.LAST_TAP, 10, rnd);
            int[] on = IntStream.range(0, last.length).filter(u -> last[u]).toArray();
            assertEquals(10, on.length);
            assertTrue(IntStream.of(on).allMatch(u -> m.unit(u).tap().equals("8.out")), "last tap only");
            boolean[] one = InjectionGroundTruth.drawUnits(m, InjectionGroundTruth.UnitPool.RANDOM_TAP, 10, rnd);
            assertEquals(1, IntStream.range(0, one.length).filter(u -> one[u]).mapToObj(u -> m.unit(u).tap()).distinct().count());
        }
        assertThrows(IllegalArgumentException.class,
                () -> InjectionGroundTruth.drawUnits(m, InjectionGroundTruth.UnitPool.LAST_TAP, 128, rnd));
        assertEquals(InjectionGroundTruth.UnitPool.RANDOM_TAP, InjectionGroundTruth.UnitPool.parse("random-tap"));
        assertThrows(IllegalArgumentException.class, () -> InjectionGroundTruth.UnitPool.parse("first"));
    }

    /** A tiny MNIST-like MLP run (48 training examples, {@code test} test examples) in {@code tmp}, folders suffixed. */
    private static RunData tinyRun(Path tmp, String suffix, int test) throws IOException {
        TrainTest tt = TinyDatasets.mnist(tmp.resolve("data" + suffix), 48, test);
        ExperimentConfig cfg = new ExperimentConfig("mnist", "mlp", 0.2, 2, 2, 16, "sgd", 0.05, 0.9, 0.0,
                "warmup-cosine", 0.1, false, 0, "cpu", 0);
        RunFolder folder = TrainingRun.create(tmp.resolve("run" + suffix), cfg, tt.train(), List.of("test"));
        return RunData.of(folder, DataSource.of(tt));
    }

    /**
     * The whole construction on a tiny MNIST-like run: every injected example is fine-tuned from the trained weights
     * (they are bit-identical afterwards), the targets are the memorized ones, each with its own truth set of the
     * chosen size at the last tap.
     */
    @Test
    void eachExampleIsInjectedIntoAFreshCopyAndTheModelIsRestored(@TempDir Path tmp) throws IOException {
        RunData run = tinyRun(tmp, "", 24);
        Module model = run.newModel();
        ExampleTiedDropoutExperiment.train(run, model, null, 2, Progress.NONE);
        Map<String, float[]> before = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> before.put(n, p.toFloatArray()));
        LocalizationComparison.Settings cs = new LocalizationComparison.Settings(new int[] {1, 5}, 16, 8, 3, 64, 1);
        LocalizationMethods.Settings ms = new LocalizationMethods.Settings(8, 64, 4, 3, 0.2, 0.01, 3, false, 1);
        InjectionGroundTruth.Options o = new InjectionGroundTruth.Options(List.of("first-order", "random"), 3, 4, 200,
                0.01, InjectionGroundTruth.UnitPool.LAST_TAP, ms, cs);
        InjectionGroundTruth.check(run, o);
        InjectionGroundTruth.Result r = InjectionGroundTruth.run(run, model, 2, o, Progress.NONE);

        model.namedParameters().forEach((n, p) -> assertArrayEquals(before.get(n), p.toFloatArray(), 0f, n + " restored"));
        assertEquals(3, r.injected());
        assertTrue(r.memorized() >= 1, "memorized " + r.memorized());
        for (InjectionGroundTruth.Injection i : r.injections()) {
            assertEquals(4, i.units().size());
            assertTrue(i.units().stream().allMatch(u -> u.startsWith("4.out#")), "last tap: " + i.units());
            assertNotEquals(i.label(), i.newLabel());
            if (i.steps() < o.maxSteps()) {
                assertTrue(i.memorized() && i.pNew() >= InjectionGroundTruth.TARGET_PROBABILITY, "stopped early at p " + i.pNew());
            }
        }
        for (LocalizationComparison.MethodResult mr : r.comparison().methods()) {
            assertEquals(r.memorized(), mr.targets().size());
            assertTrue(mr.targets().stream().allMatch(t -> t.truthSize() == 4));
        }
        assertTrue(r.table().get(0).startsWith("injection: " + r.memorized() + " of 3 injected examples memorized"),
                r.table().get(0));
        assertEquals(r.memorized() + " / 3", r.summaryRows().get(0).value());
    }
    /**
     * A test set no larger than the targets: all but one test example are injected (one stays for the test accuracy);
     * a test set of one example is refused by the check, naming its size.
     */
    @Test
    void aTinyTestSetKeepsOneExampleForTheAccuracy(@TempDir Path tmp) throws IOException {
        RunData run = tinyRun(tmp, "", 3);
        Module model = run.newModel();
        ExampleTiedDropoutExperiment.train(run, model, null, 1, Progress.NONE);
        LocalizationComparison.Settings cs = new LocalizationComparison.Settings(new int[] {1}, 16, 8, 3, 64, 1);
        LocalizationMethods.Settings ms = new LocalizationMethods.Settings(8, 64, 4, 3, 0.2, 0.01, 3, false, 1);
        InjectionGroundTruth.Options o = new InjectionGroundTruth.Options(List.of("random"), 5, 4, 200,
                0.01, InjectionGroundTruth.UnitPool.LAST_TAP, ms, cs);
        InjectionGroundTruth.check(run, o);
        InjectionGroundTruth.Result r = InjectionGroundTruth.run(run, model, 1, o, Progress.NONE);
        assertEquals(2, r.injected());
        assertTrue(r.injections().stream().allMatch(i -> i.testRow() < 3));

        RunData r1 = tinyRun(tmp, "1", 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InjectionGroundTruth.check(r1, o));
        assertTrue(e.getMessage().contains("test set") && e.getMessage().contains("1 example"), e.getMessage());
    }
}
