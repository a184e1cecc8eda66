package dev.engram.memorization.detect;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The leaderboard's helpers: ROC points, top-k and option checks. */
class DetectionLeaderboardTest {

    @Test
    void rocOfAPerfectScoreGoesThroughTheTopLeftCorner() {
        double[][] c = DetectionLeaderboard.roc(new double[] {0.9, 0.8, 0.1, 0.2}, new boolean[] {true, true, false, false});
        assertThat(c[0][0]).isZero();
        assertThat(c[1][0]).isZero();
        boolean corner = false;
        for (int k = 0; k < c[0].length; k++) if (c[0][k] == 0 && c[1][k] == 1) corner = true;
        assertThat(corner).isTrue();
        assertThat(c[0][c[0].length - 1]).isEqualTo(1.0);
        assertThat(c[1][c[1].length - 1]).isEqualTo(1.0);
    }

    /**
     * A score with three values on 1,000 examples (points thinned to every second example): its curve keeps the
     * corner of each group of ties, so the area under the drawn curve is the AUROC. By hand: the top group (score 2)
     * holds all 100 positives and 234 of the 900 negatives, so the curve goes (0, 0) to (234/900, 1) and on to (1, 1):
     * area 1 - 0.5 * 234/900 = 0.87. The group ends after example 333, off the grid of every second example; it used
     * to be dropped, drawing (0, 0) to (567/900, 1) instead (area 0.685).
     */
    @Test
    void rocOfAScoreWithFewValuesKeepsTheCornerOfEachGroupOfTies() {
        int n = 1000;
        double[] score = new double[n];
        boolean[] positive = new boolean[n];
        for (int i = 0; i < n; i++) {
            score[i] = i < 334 ? 2 : i < 667 ? 1 : 0;
            positive[i] = i < 100;
        }
        double[][] c = DetectionLeaderboard.roc(score, positive);
        double area = 0;
        for (int k = 1; k < c[0].length; k++) area += (c[0][k] - c[0][k - 1]) * (c[1][k] + c[1][k - 1]) / 2;
        assertThat(area).isCloseTo(0.87, within(1e-12));
        boolean corner = false;
        for (int k = 0; k < c[0].length; k++) corner |= Math.abs(c[0][k] - 234.0 / 900) < 1e-12 && c[1][k] == 1;
        assertThat(corner).as("the point (234/900, 1)").isTrue();

        // distinct scores are still thinned to about 400 points
        double[] distinct = new double[10_000];
        boolean[] half = new boolean[10_000];
        for (int i = 0; i < distinct.length; i++) {
            distinct[i] = i;
            half[i] = i % 2 == 0;
        }
        assertThat(DetectionLeaderboard.roc(distinct, half)[0].length).isBetween(400, 402);
    }

    @Test
    void topListsTheLargestOrSmallestFirst() {
        double[] v = {0.5, -2, 3, 1, -1};
        assertThat(DetectionLeaderboard.top(v, 2, true)).containsExactly(2, 3);
        assertThat(DetectionLeaderboard.top(v, 2, false)).containsExactly(1, 4);
    }

    @Test
    void optionsAreChecked() {
        assertThatThrownBy(() -> new DetectionLeaderboard.Options(true, true, -1, 500))
                .hasMessageContaining("extra epochs");
        assertThatThrownBy(() -> new DetectionLeaderboard.Options(true, true, 0, 500, 1, 5))
                .hasMessageContaining("complexity-gap chunk");
        assertThat(DetectionLeaderboard.Options.DEFAULTS.complexityGapChunk()).isEqualTo(1000);
        assertThatThrownBy(() -> new DetectionLeaderboard.Options(true, true, 0, 500, 1000, 5, 1))
                .hasMessageContaining("Arnoldi iterations").hasMessageContaining("got 1");
        assertThat(new DetectionLeaderboard.Options(true, true, 0, 500, 1000, 5, 0).arnoldiIterations()).isZero();
    }
}
