package dev.engram.memorization.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A run keeps one result per analysis and a sweep task skips an analysis with results, so the options of an analysis
 * must be one per run and must not change under results a run already has: otherwise the old results were reported
 * as the new options' (and a second listing of an analysis was skipped once the first had written its results).
 */
class SweepAnalysisOptionsTest {
    @TempDir
    Path tmp;

    private Sweep plan(String analyses, Path dir) throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, "name: n\npreset: demo\naxes: {seed: [1, 2]}\nanalyses: " + analyses + "\n");
        return Sweep.plan(SweepSpec.read(f), dir, SweepPlanTest.COMMANDS);
    }

    @Test
    void oneAnalysisListedWithTwoSetsOfOptionsIsRefused() {
        assertThatThrownBy(() -> plan("[flip --noisy 3, etd, flip --noisy 5]", tmp.resolve("d")))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("'flip --noisy 3' and 'flip --noisy 5'").hasMessageContaining("analyses/flipping/")
                .hasMessageContaining("run seed=1").hasMessageContaining("flip.noisy");
    }

    @Test
    void theShardsOfOneAnalysisAndARepeatedLineAreOneSetOfOptions() throws IOException {
        Sweep s = plan("[{name: flip, args: \"--noisy 3\", shards: 2}, etd, etd]", tmp.resolve("d"));
        assertThat(s.run(0).analyses()).hasSize(5);
    }

    @Test
    void changingTheOptionsOfAnAnalysisWithResultsIsRefusedAndWithoutResultsAllowed() throws IOException {
        Path dir = tmp.resolve("d");
        Sweep a = plan("[flip --noisy 3, etd --epochs 1]", dir);
        a.write();
        // run 0 has flipping results; run 1 has none
        Path flipping = a.runDir(a.run(0)).resolve("analyses").resolve("flipping");
        Files.createDirectories(flipping);
        Files.writeString(flipping.resolve("results.json"), "{}");

        assertThatThrownBy(() -> plan("[flip --noisy 5, etd --epochs 1]", dir))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("run seed=1 has results of 'flip --noisy 3'")
                .hasMessageContaining("now lists 'flip --noisy 5'");
        // the same options, a changed analysis without results anywhere, an added analysis: an extension
        Sweep b = plan("[flip --noisy 3, etd --epochs 2, flip --noisy 3]", dir);
        assertThat(b.run(0).analyses().get(1)).containsExactly("etd", "--epochs", "2");

        // results only as a shard's part count too, for the sharded form of the analysis as well
        Files.delete(flipping.resolve("results.json"));
        Path part = a.runDir(a.run(1)).resolve("analyses").resolve("flipping.shard-2-of-2");
        Files.createDirectories(part);
        Files.writeString(part.resolve("part.json"), "{}");
        assertThatThrownBy(() -> plan("[{name: flip, args: \"--noisy 5\", shards: 2}]", dir))
                .isInstanceOf(Sweep.InvalidAnalysisException.class).hasMessageContaining("run seed=2");
        assertThat(plan("[{name: flip, args: \"--noisy 3\", shards: 4}]", dir).runs()).hasSize(2);
    }
}
