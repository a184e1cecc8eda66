package dev.engram.memorization.detect;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
