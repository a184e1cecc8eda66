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
        assertThat(r.detections()).hasSize(6);
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
        CheckpointScores.write(r, data, Map.of(), dir);
        assertThat(dir.resolve("per-example.csv")).exists();
        assertThat(dir.resolve("detection.png")).exists();
    }
}
