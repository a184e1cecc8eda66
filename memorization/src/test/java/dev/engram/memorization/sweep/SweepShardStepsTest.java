package dev.engram.memorization.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Shard steps written out in a sweep file must form one complete, merged set: an incomplete or unmerged set used to
 * leave a "done" run without the analysis' results, and a merge without shards failed only after training.
 */
class SweepShardStepsTest {
    @TempDir
    Path tmp;

    private Sweep plan(String analyses) throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, "name: n\npreset: demo\nseeds: [1]\nanalyses: " + analyses + "\n");
        return Sweep.plan(SweepSpec.read(f), tmp.resolve("d"), SweepPlanTest.COMMANDS);
    }

    @Test
    void aCompleteMergedSetIsAccepted() throws IOException {
        assertThat(plan("[flip --shard 2/2, etd, flip --shard=1/2, merge --analysis flip]").run(0).analyses()).hasSize(4);
        assertThat(plan("[{name: flip, shards: 3}]").run(0).analyses()).hasSize(4);
    }

    @Test
    void incompleteMixedRepeatedOrUnmergedShardsAndAMergeWithoutShardsAreRefused() {
        assertThatThrownBy(() -> plan("[flip --shard 1/3, flip --shard 3/3, merge --analysis flip]"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("the shard steps of flipping in 'analyses' (run seed=1) are shards [1, 3] of 3;"
                        + " shards [2] are missing");
        assertThatThrownBy(() -> plan("[flip --shard 1/2, flip --shard 2/3, merge --analysis flip]"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class).hasMessageContaining("cut [2, 3] ways");
        assertThatThrownBy(() -> plan("[flip --shard 1/1, flip --shard 1/1, merge --analysis flip]"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class).hasMessageContaining("shards [1, 1] of 1, some twice");
        assertThatThrownBy(() -> plan("[flip --shard 1/2, flip --shard 2/2]"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class).hasMessageContaining("never merged")
                .hasMessageContaining("merge --analysis flipping");
        assertThatThrownBy(() -> plan("[etd, merge --analysis flip]"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("'merge --analysis flipping' in 'analyses' (run seed=1) has no shard steps");
    }
}
