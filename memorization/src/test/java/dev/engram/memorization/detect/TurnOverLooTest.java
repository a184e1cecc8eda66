package dev.engram.memorization.detect;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.nn.Taps;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Turn-over dropout self-influence against exact leave-one-out retraining on a tiny model: the Spearman rank
 * correlation between the two is printed (0.33 on this case: 30 examples, 3 flipped; leave-one-out retraining is itself
 * noisy, since removing an example changes every later batch) and must be positive.
 */
class TurnOverLooTest {

    private static double spearman(double[] a, double[] b) {
        double[] ra = Metrics.averageRanks(a), rb = Metrics.averageRanks(b);
        double ma = 0, mb = 0;
        for (int i = 0; i < ra.length; i++) {
            ma += ra[i] / ra.length;
            mb += rb[i] / rb.length;
        }
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    @Test
    void selfInfluenceRanksLikeExactLeaveOneOutRetraining() {
        ExampleSet data = SyntheticData.clusters(30, 3, 3, 0.7, 0.1, 31);
        int n = data.size();
        // exact: loss of example i under a model retrained without it minus under the model trained with it
        Mlp full = new Mlp(5, 9, 32, 3);
        SyntheticData.train(full, data, 40, 10, 0.1, 0.9, 0, 5);
        float[] with = Evaluation.run(full, data, n).loss();
        double[] loo = new double[n];
        for (int i = 0; i < n; i++) {
            int[] rest = new int[n - 1];
            for (int k = 0, r = 0; k < n; k++) if (k != i) rest[r++] = k;
            Mlp m = new Mlp(5, 9, 32, 3);
            SyntheticData.train(m, data.subset(rest), 40, 10, 0.1, 0.9, 0, 5);
            loo[i] = Evaluation.run(m, data.subset(new int[] {i}), 1).loss()[0] - with[i];
        }
        Mlp model = new Mlp(5, 9, 32, 3);
        TapPlacement place = TurnOverInfluence.placement(model.tapNames(), 3);
        place.train(true);
        try (Taps t = place.open()) {
            SyntheticData.train(model, data, 40, 10, 0.1, 0.9, 0, 5);
        }
        double[] tod = TurnOverInfluence.selfInfluence(model, place, data, n);
        double rho = spearman(tod, loo);
        System.out.printf(java.util.Locale.ROOT, "turn-over dropout vs exact leave-one-out self-influence: Spearman %.3f"
                + " (%d examples, %d noisy)%n", rho, n, data.noisyCount());
        assertThat(rho).isGreaterThan(0.2); // 0.332 measured on CPU
    }
}
