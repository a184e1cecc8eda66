package dev.engram.memorization.data;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The input corruptions of Zhang et al. (2017) on small generated images whose pixels are all distinct. */
class InputCorruptionTest {
    private static final int H = 4, W = 5, HW = H * W;

    /** {@code n} images of {@code c} channels; pixel (i, ch, k) = base + 20 i + k + 100 ch mod 256, distinct within a channel. */
    private static Dataset images(int n, int c, int base) {
        byte[] px = new byte[n * c * HW];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int ch = 0; ch < c; ch++) for (int k = 0; k < HW; k++) px[(i * c + ch) * HW + k] = (byte) ((base + 7 * i + k + 100 * ch) % 256);
        }
        return new Dataset("gen", c, H, W, 3, px, y);
    }

    /** For image i: where each new position's pixel came from (channel ch), asserting it is a permutation. */
    private static int[] recoveredPermutation(Dataset original, Dataset corrupted, int i, int ch) {
        int[] from = new int[HW];
        Set<Integer> seen = new HashSet<>();
        for (int k = 0; k < HW; k++) {
            int v = corrupted.pixel(i, ch, k / W, k % W);
            int src = -1;
            for (int j = 0; j < HW; j++) if (original.pixel(i, ch, j / W, j % W) == v) src = j;
            assertThat(src).as("pixel %d of image %d comes from the same image", k, i).isGreaterThanOrEqualTo(0);
            from[k] = src;
            seen.add(src);
        }
        assertThat(seen).as("image %d: a permutation of its pixels", i).hasSize(HW);
        return from;
    }

    @Test
    void shuffledPixelsIsOneFixedPermutationForEveryTrainingAndTestImage() {
        Dataset train = images(30, 2, 0), test = images(10, 2, 3);
        TrainTest out = InputCorruption.SHUFFLED_PIXELS.apply(new TrainTest(train, test), 7);
        int[] perm = recoveredPermutation(train, out.train(), 0, 0);
        int identity = 0;
        for (int k = 0; k < HW; k++) if (perm[k] == k) identity++;
        assertThat(identity).as("the permutation moves pixels").isLessThan(HW);
        for (int i = 0; i < train.size(); i++) {
            for (int ch = 0; ch < 2; ch++) assertThat(recoveredPermutation(train, out.train(), i, ch)).containsExactly(perm);
        }
        for (int i = 0; i < test.size(); i++) assertThat(recoveredPermutation(test, out.test(), i, 1)).containsExactly(perm);
        assertThat(out.train().labels()).containsExactly(train.labels());
        // deterministic from the seed; another seed, another permutation
        assertThat(recoveredPermutation(train, InputCorruption.SHUFFLED_PIXELS.apply(new TrainTest(train, test), 7).train(), 3, 0))
                .containsExactly(perm);
        assertThat(recoveredPermutation(train, InputCorruption.SHUFFLED_PIXELS.apply(new TrainTest(train, test), 8).train(), 3, 0))
                .isNotEqualTo(perm);
    }

    @Test
    void randomPixelsPermutesEachImageIndependentlyKeepingChannelsTogether() {
        Dataset train = images(40, 2, 0), test = images(10, 2, 3);
        TrainTest out = InputCorruption.RANDOM_PIXELS.apply(new TrainTest(train, test), 7);
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < train.size(); i++) {
            int[] p = recoveredPermutation(train, out.train(), i, 0);
            assertThat(recoveredPermutation(train, out.train(), i, 1)).as("both channels moved alike").containsExactly(p);
            distinct.add(Arrays.toString(p));
        }
        assertThat(distinct).as("a permutation per image").hasSize(train.size());
        for (int i = 0; i < test.size(); i++) distinct.add(Arrays.toString(recoveredPermutation(test, out.test(), i, 0)));
        assertThat(distinct).hasSize(train.size() + test.size());
        Dataset again = InputCorruption.RANDOM_PIXELS.apply(new TrainTest(train, test), 7).train();
        for (int i = 0; i < train.size(); i++) {
            assertThat(recoveredPermutation(train, again, i, 0)).containsExactly(recoveredPermutation(train, out.train(), i, 0));
        }
    }

    @Test
    void gaussianHasTheTrainingImagesPerChannelMeanAndVariance() {
        Random r = new Random(1);
        int n = 400;
        byte[] px = new byte[n * 2 * HW];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < HW; k++) {
                px[(i * 2) * HW + k] = (byte) r.nextInt(60); // channel 0: values 0..59
                px[(i * 2 + 1) * HW + k] = (byte) (150 + r.nextInt(100)); // channel 1: 150..249
            }
        }
        Dataset train = new Dataset("gen", 2, H, W, 3, px, new int[n]);
        // moments by hand, in value units (pixel / 255)
        double[] mean = new double[2], var = new double[2];
        for (int ch = 0; ch < 2; ch++) {
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < HW; k++) {
                double v = (px[(i * 2 + ch) * HW + k] & 0xFF) / 255f; // the value the dataset holds, a float
                s += v;
                ss += v * v;
            }
            mean[ch] = s / (n * HW);
            var[ch] = ss / (n * HW) - mean[ch] * mean[ch];
        }
        double[][] m = InputCorruption.channelMoments(train);
        for (int ch = 0; ch < 2; ch++) {
            assertThat(m[0][ch]).isCloseTo(mean[ch], within(1e-9));
            assertThat(m[1][ch] * m[1][ch]).isCloseTo(var[ch], within(1e-9));
        }
        TrainTest out = InputCorruption.GAUSSIAN.apply(new TrainTest(train, images(300, 2, 0)), 3);
        for (Dataset d : new Dataset[] {out.train(), out.test()}) {
            assertThat(d.isFloat()).isTrue();
            for (int ch = 0; ch < 2; ch++) {
                double s = 0, ss = 0;
                int cnt = d.size() * HW;
                for (int i = 0; i < d.size(); i++) for (int k = 0; k < HW; k++) {
                    double v = d.value(i, ch, k / W, k % W);
                    s += v;
                    ss += v * v;
                }
                double mu = s / cnt, v2 = ss / cnt - mu * mu;
                double sd = Math.sqrt(var[ch]);
                // 6000+ draws: the sample mean is within 5 standard errors, the variance within 10%
                assertThat(mu).isCloseTo(mean[ch], within(5 * sd / Math.sqrt(cnt)));
                assertThat(v2 / var[ch]).isCloseTo(1.0, within(0.1));
            }
        }
        assertThat(out.test().size()).isEqualTo(300);
    }

    @ParameterizedTest
    @ValueSource(strings = {"shuffled-pixels", "random-pixels", "gaussian"})
    void corruptionsKeepLabelsShapeAndSizeAndNoneChangesNothing(String name) {
        Dataset train = images(12, 1, 0), test = images(5, 1, 9);
        TrainTest out = InputCorruption.parse(name).apply(new TrainTest(train, test), 1);
        assertThat(out.train().labels()).containsExactly(train.labels());
        assertThat(out.test().labels()).containsExactly(test.labels());
        assertThat(out.train().exampleSize()).isEqualTo(train.exampleSize());
        TrainTest same = new TrainTest(train, test);
        assertThat(InputCorruption.NONE.apply(same, 1)).isSameAs(same);
    }

    @Test
    void unknownNameIsRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> InputCorruption.parse("pixels")).hasMessageContaining("'pixels'")
                .hasMessageContaining("shuffled-pixels");
    }
}
