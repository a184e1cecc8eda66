package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@link Shard} slices work, and the note for a shard left without any. */
class ShardTest {
    @Test
    void slicesCoverEveryItemOnceInWholeBlocks() {
        for (int total : new int[] {0, 1, 20, 64, 65, 300}) {
            for (int count = 1; count <= 5; count++) {
                int next = 0;
                for (int i = 1; i <= count; i++) {
                    int[] r = new Shard(i, count).range(total, 64);
                    assertThat(r[0]).as("%d items, shard %d/%d", total, i, count).isEqualTo(next);
                    assertThat(r[0] % 64 == 0 || r[0] == total).isTrue();
                    next = r[1];
                }
                assertThat(next).isEqualTo(total);
            }
        }
    }

    @Test
    void aShardWithoutWorkGetsANoteSayingWhy() {
        assertThat(new Shard(1, 2).emptyNote(20, 64, "targets", "--targets-per-batch"))
                .contains("shard 1/2 has no targets").contains("20 targets make 1 block(s) of 64")
                .contains("use at most 1 shard(s) or a smaller --targets-per-batch");
        assertThat(new Shard(2, 2).emptyNote(20, 64, "targets", "--targets-per-batch")).isNull();
        assertThat(new Shard(1, 2).emptyNote(200, 64, "targets", "--targets-per-batch")).isNull();
    }
}
