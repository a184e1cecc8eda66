package dev.engram.memorization.rho;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.nn.Module;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** RHO-LOSS irreducible loss by cross-fitting on a tiny task with known mislabeled examples. */
class IrreducibleLossTest {

    @Test
    void halvesPartitionTheExamples() {
        int[][] h = IrreducibleLoss.halves(11, 3);
        assertThat(h[0]).hasSize(5);
        assertThat(h[1]).hasSize(6);
        Set<Integer> all = new HashSet<>();
        for (int[] part : h) for (int i : part) assertThat(all.add(i)).isTrue();
        assertThat(all).hasSize(11);
    }

    @Test
    void mislabeledExamplesHaveTheHighestIrreducibleLossAndTheLowestReducibleLossOnceMemorized() throws Exception {
        ExampleSet data = SyntheticData.clusters(120, 4, 3, 0.5, 0.05, 21);
        assertThat(data.noisyCount()).isEqualTo(6);
        // the "run": a wide MLP trained long enough to memorize the flipped labels
        Module run = new Mlp(7, 16, 128, 3);
        SyntheticData.train(run, data, 60, 10, 0.1, 0.9, 0, 7);
        assertThat(Evaluation.run(run, data, 120).accuracy(data.noisy(), true)).isGreaterThan(0.5);
        float[] fl = Evaluation.run(run, data, 120).loss();
        double[] trainingLoss = new double[fl.length];
        for (int i = 0; i < fl.length; i++) trainingLoss[i] = fl[i];
        IrreducibleLoss.Scores s = IrreducibleLoss.compute(data, trainingLoss, rows -> {
            Module m = new Mlp(8, 16, 3);
            SyntheticData.train(m, data.subset(rows), 10, 10, 0.1, 0.9, 0, 8);
            return m;
        }, 1, 50);
        assertThat(Metrics.auroc(s.irreducible(), data.noisy())).isEqualTo(1.0);
        assertThat(Metrics.auroc(Metrics.negate(s.reducible()), data.noisy())).isGreaterThan(0.95);
        for (int i = 0; i < data.size(); i++) assertThat(s.reducible()[i]).isEqualTo(trainingLoss[i] - s.irreducible()[i]);
    }
}
