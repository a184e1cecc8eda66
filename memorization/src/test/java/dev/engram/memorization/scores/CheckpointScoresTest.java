package dev.engram.memorization.scores;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Detection;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Invariants of the checkpoint score pipeline. */
class CheckpointScoresTest {

    @Test
    void identicalCheckpointsHaveZeroVogAndNoForgetting() throws Exception {
        ExampleSet data = SyntheticData.clusters(80, 4, 4, 1.0, 0.1, 2);
        Module m = new Mlp(3, 16, 16, 4);
        m.eval();
        CheckpointScores.Result r = CheckpointScores.compute(i -> m, new int[] {0, 1, 2}, data, 32, null);
        for (double v : r.vog()) assertThat(v).isCloseTo(0, within(1e-6));
        for (int f : r.forgetting()) assertThat(f).isZero();
        // class normalization of an all-zero score is zero, not NaN
        for (double v : r.vogNormalized()) assertThat(v).isEqualTo(0);
        // 3 checkpoints: no stage window has 2 checkpoints, so only "all" (normalized, |normalized|, raw) + 4 others
        assertThat(r.vogStages()).containsOnlyKeys("all");
        assertThat(r.detections()).hasSize(7);
    }

    @Test
    void aNeverLearnedExampleIsLearnedAfterTheLastCheckpointInTheTableAsInItsDetectionScore() throws Exception {
        ExampleSet data = SyntheticData.clusters(80, 4, 4, 1.0, 0.1, 2);
        Module m = new Mlp(3, 16, 16, 4);
        m.eval();
        // identical checkpoints of epochs 0, 2, 4: every example is right throughout (learned at 0) or never
        CheckpointScores.Result r = CheckpointScores.compute(i -> m, new int[] {0, 2, 4}, data, 32, null);
        assertThat(r.learnedEpoch()).containsOnly(0, 5).contains(5);
    }

    @Test
    void vogMatchesTheStandardDeviationOfTheInputGradientOfALinearModel() throws Exception {
        // single linear layer: d logit_y / dx = W[y], so VoG = mean over pixels of the std over checkpoints of W[y, p]
        ExampleSet data = SyntheticData.clusters(12, 2, 3, 1.0, 0, 4);
        List<Module> ck = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            Module m = new Mlp(10 + s, 4, 3);
            m.eval();
            ck.add(m);
        }
        CheckpointScores.Result r = CheckpointScores.compute(ck::get, new int[] {0, 1, 2}, data, 5, null);
        float[][] w = new float[3][];
        for (int s = 0; s < 3; s++) w[s] = ck.get(s).namedParameters().get("1.weight").toFloatArray();
        for (int i = 0; i < data.size(); i++) {
            int y = data.labels()[i];
            double expected = 0;
            for (int p = 0; p < 4; p++) {
                double mean = 0, sq = 0;
                for (int s = 0; s < 3; s++) mean += w[s][y * 4 + p] / 3.0;
                for (int s = 0; s < 3; s++) sq += Math.pow(w[s][y * 4 + p] - mean, 2) / 3.0;
                expected += Math.sqrt(sq) / 4;
            }
            assertThat(r.vog()[i]).isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void anAurocBelowHalfIsShownAsAnInvertedRankingWithItsFlippedValue() {
        Detection d = Detection.of("vog", "higher", new double[] {0.9, 0.8, 0.1, 0.2, 0.3}, new boolean[] {F, F, T, F, T});
        assertThat(d.auroc()).isLessThan(0.5);
        assertThat(d.inverted()).isTrue();
        assertThat(d.invertedAuroc()).isCloseTo(1 - d.auroc(), within(1e-12));
        assertThat(d.aurocText()).isEqualTo(String.format(java.util.Locale.ROOT, "%.4f (inverted: %.4f)", d.auroc(),
                1 - d.auroc()));
        assertThat(d.directionLabel()).isEqualTo("higher = noisy");
        Detection good = Detection.of("loss", "higher", new double[] {0.1, 0.9}, new boolean[] {F, T});
        assertThat(good.aurocText()).isEqualTo("1.0000");
        assertThat(good.invertedAuroc()).isNaN();
        // the summary rows (demo, report) say the direction and the inverted value
        var rows = new ScoresAnalysis.Result(2, 2, 1, List.of(d), new boolean[] {F, T},
                dev.engram.memorization.metrics.LearningEvents.Forgetting.TONEVA, new int[2], new boolean[2],
                new double[2], new int[2], new double[2], new double[2], new double[2]).summaryRows();
        assertThat(rows.get(0).toString()).contains("higher = noisy", "(inverted: ");
    }

    private static final boolean F = false, T = true;

    @Test
    void trainingCheckpointsRankNoisyExamplesAboveChance(@TempDir Path dir) throws Exception {
        ExampleSet data = SyntheticData.clusters(300, 4, 4, 1.0, 0.1, 8);
        Module m = new Mlp(4, 16, 64, 64, 4);
        List<Map<String, float[]>> states = new ArrayList<>();
        for (int e = 0; e < 6; e++) {
            SyntheticData.train(m, data, 8, 32, 0.05, 0.9, 0, e);
            Map<String, float[]> st = new java.util.LinkedHashMap<>();
            m.namedParameters().forEach((n, p) -> st.put(n, p.toFloatArray()));
            states.add(st);
        }
        Module view = new Mlp(4, 16, 64, 64, 4);
        view.eval();
        CheckpointScores.Result r = CheckpointScores.compute(i -> {
            states.get(i).forEach((n, v) -> view.namedParameters().get(n).copyFrom(dev.engram.engine.Tensor.of(v,
                    view.namedParameters().get(n).shape())));
            return view;
        }, new int[] {8, 16, 24, 32, 40, 48}, data, 64, null);
        // noisy labels are learned late and with high loss: the mean loss ranks them well above chance (0.5)
        double lossAuroc = r.detections().stream().filter(d -> d.score().equals("mean loss")).findFirst().orElseThrow().auroc();
        assertThat(lossAuroc).isGreaterThan(0.8);
        assertThat(r.lossCurves()[1][0]).isGreaterThan(r.lossCurves()[0][0]);
        // VoG per stage window (VoG paper: early / middle / late / all) and the absolute normalized variant
        assertThat(r.vogStages()).containsOnlyKeys("early", "middle", "late", "all");
        assertThat(r.stageEpochs().get("early")).containsExactly(8, 16);
        assertThat(r.stageEpochs().get("late")).containsExactly(40, 48);
        List<String> names = r.detections().stream().map(Detection::score).toList();
        assertThat(names).contains("vog early [8-16] (class-normalized)", "vog late [40-48] (|class-normalized|)",
                "vog all [8-48] (class-normalized)", "vog all (raw)");
        CheckpointScores.write(r, data, Map.of(), dir);
        // every detection table states each score's direction and marks an AUROC below 0.5 with its flipped value
        List<String> csv = java.nio.file.Files.readAllLines(dir.resolve("detection.csv"));
        assertThat(csv.get(0)).startsWith("score,direction,auroc,inverted,inverted_auroc,auroc_text");
        for (Detection d : r.detections()) {
            String line = csv.stream().filter(l -> l.startsWith(d.score().contains(",") ? "\"" : d.score())).findFirst().orElseThrow();
            assertThat(line).contains(d.directionLabel());
            if (d.auroc() < 0.5) assertThat(line).contains("(inverted: ");
        }
        assertThat(java.nio.file.Files.readString(dir.resolve("results.json"))).contains("\"direction\"", "vog_stage_epochs");
        List<String> per = java.nio.file.Files.readAllLines(dir.resolve("per-example.csv"));
        List<String> cols = List.of(per.get(0).split(","));
        assertThat(cols).contains("vog_early", "vog_late", "vog_early_class_normalized", "forgetting_events", "forgetting_score");
        // the per-example file holds what each detection row ranks: its AUROC recomputed from the file agrees
        for (String[] pair : new String[][] {{"vog_early_class_normalized", "vog early [8-16] (class-normalized)"},
                {"vog_late_class_normalized", "vog late [40-48] (class-normalized)"}, {"forgetting_score", "forgetting events"}}) {
            int c = cols.indexOf(pair[0]), noisyCol = cols.indexOf("noisy");
            double[] v = new double[per.size() - 1];
            boolean[] pos = new boolean[v.length];
            for (int i = 1; i < per.size(); i++) {
                String[] f = per.get(i).split(",");
                v[i - 1] = Double.parseDouble(f[c]);
                pos[i - 1] = f[noisyCol].equals("1");
            }
            double expected = r.detections().stream().filter(d -> d.score().equals(pair[1])).findFirst().orElseThrow().auroc();
            assertThat(dev.engram.memorization.metrics.Metrics.auroc(v, pos)).as(pair[0]).isCloseTo(expected,
                    org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(dir.resolve("detection.png")).exists();
    }
}
