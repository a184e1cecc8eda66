package dev.engram.memorization.prune;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The result of a sparse double descent: its headline rows and files, from hand-made levels. */
class SparseDoubleDescentTest {
    @TempDir
    Path tmp;

    private static SparseDoubleDescent.Level level(int i, double s, double test, double noisy) {
        return new SparseDoubleDescent.Level(i, s, s, Math.round(1000 * (1 - s)), test, noisy, 0.99, 10 + i, i == 0 ? 0 : 3, 1.5);
    }

    @Test
    void headlineRowsNameTheDescentAndTheRecovery() throws Exception {
        var r = new SparseDoubleDescent.Result("mnist", "mlp", 0.2, 100, 20, 1000, 1010, "init", List.of(
                level(0, 0, 0.85, 0.5), level(1, 0.5, 0.80, 0.9), level(2, 0.9, 0.78, 0.95), level(3, 0.99, 0.84, 0.2),
                level(4, 0.999, 0.70, 0.05)));
        // test: .85 dense, .80, .78 (trough), .84 (recovered), .70 (collapse: the lowest, but no rise after it)
        assertThat(r.recovery()).extracting(SparseDoubleDescent.Level::level).containsExactly(2, 3);
        assertThat(r.summaryRows().get(0).value()).isEqualTo("85.00% / 78.00% (90.00%) / 84.00% (99.00%)");
        assertThat(r.summaryRows().get(1).value()).isEqualTo("50.00% / 95.00% (90.00%)");
        assertThat(r.summaryRows()).hasSize(3 + 4);
        var falling = new SparseDoubleDescent.Result("mnist", "mlp", 0.2, 100, 20, 1000, 1010, "init", List.of(
                level(0, 0, 0.85, 0.5), level(1, 0.5, 0.80, 0.9), level(2, 0.9, 0.78, 0.95)));
        assertThat(falling.recovery()).as("test accuracy never rises again").isNull();
        assertThat(falling.summaryRows().get(0).value()).isEqualTo("85.00% / n/a / n/a");
        assertThat(falling.summaryRows().get(0).numbers()).as("one n/a stands for an accuracy and its sparsity")
                .hasSameSizeAs(r.summaryRows().get(0).numbers()).hasSize(5);
        // the largest rise wins, not the first: .80 -> .81, then .79 -> .84
        var two = new SparseDoubleDescent.Result("mnist", "mlp", 0.2, 100, 20, 1000, 1010, "init", List.of(
                level(0, 0, 0.85, 0.5), level(1, 0.5, 0.80, 0.9), level(2, 0.6, 0.81, 0.9), level(3, 0.7, 0.79, 0.9),
                level(4, 0.8, 0.84, 0.9)));
        assertThat(two.recovery()).extracting(SparseDoubleDescent.Level::level).containsExactly(3, 4);

        var s = new SparseDoubleDescent.Result("mnist", "mlp", 0.2, 100, 20, 1000, 1010, "init", r.levels().subList(0, 4));
        new SparseDoubleDescent().write(s, tmp);
        for (String f : List.of("results.json", "levels.csv", "sparse-double-descent.png")) assertThat(tmp.resolve(f)).isRegularFile();
        assertThat(Files.readAllLines(tmp.resolve("levels.csv"))).hasSize(5);
        assertThat(Double.doubleToRawLongBits(SparseDoubleDescent.logAxis(0))).as("dense at +0, not -0").isZero();
        assertThat(SparseDoubleDescent.logAxis(0.99)).isCloseTo(2, org.assertj.core.api.Assertions.within(1e-12));
    }
}
