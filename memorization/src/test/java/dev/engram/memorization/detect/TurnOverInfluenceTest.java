package dev.engram.memorization.detect;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.SyntheticData;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.nn.Taps;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Turn-over dropout: complementary masks, and self-influence of memorized flipped labels. */
class TurnOverInfluenceTest {

    @Test
    void theTurnedOverMaskIsTheComplementOfTheOwnOneScaledByTwo() {
        TurnOverDropout l = new TurnOverDropout(0, 42);
        int[] ids = {0, 1, 2, 7};
        float[] own = l.mask(dev.engram.engine.Device.CPU, ids, 64, false).toFloatArray();
        float[] turned = l.mask(dev.engram.engine.Device.CPU, ids, 64, true).toFloatArray();
        int kept = 0;
        for (int k = 0; k < own.length; k++) {
            assertThat(own[k] + turned[k]).isEqualTo(2f);
            assertThat(own[k] == 0f || own[k] == 2f).isTrue();
            if (own[k] > 0) kept++;
        }
        assertThat(kept).isBetween(own.length / 2 - 30, own.length / 2 + 30);
        // tied to the example: the same id gives the same mask in another batch
        float[] again = l.mask(dev.engram.engine.Device.CPU, new int[] {7}, 64, false).toFloatArray();
        for (int k = 0; k < 64; k++) assertThat(again[k]).isEqualTo(own[3 * 64 + k]);
    }

    @Test
    void memorizedFlippedLabelsHaveTheLargestSelfInfluence() {
        ExampleSet data = SyntheticData.clusters(120, 4, 3, 0.5, 0.05, 21);
        assertThat(data.noisyCount()).isEqualTo(6);
        Mlp model = new Mlp(7, 16, 128, 3);
        TapPlacement place = TurnOverInfluence.placement(model.tapNames(), 9);
        place.train(true);
        try (Taps t = place.open()) {
            SyntheticData.train(model, data, 60, 10, 0.1, 0.9, 0, 7);
        }
        double[] self = TurnOverInfluence.selfInfluence(model, place, data, 50);
        assertThat(Metrics.auroc(self, data.noisy())).isGreaterThan(0.9);
        int top = 0;
        for (int i = 1; i < self.length; i++) if (self[i] > self[top]) top = i;
        assertThat(data.noisy()[top]).as("a flipped example ranks first").isTrue();
        // the influence of every training example on one target, evaluated under each training id, contains the
        // self-influence of the target's own id
        double[] onTop = TurnOverInfluence.influenceOn(model, place, data, data, top, 50);
        assertThat(onTop[top]).isCloseTo(self[top], org.assertj.core.api.Assertions.within(1e-5));
    }
}
