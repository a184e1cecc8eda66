package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoiseTest {
    @TempDir Path dir;

    static int[] labels(int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (i * 7 + i / 3) % 10;
        return y;
    }

    @Test
    void uniformRandomLabelsDrawEveryClassIncludingTheTrueOne() {
        int[] y = labels(20_000);
        NoisyLabels all = LabelNoise.uniform(y, 10, 1.0, 7);
        int same = 0;
        int[] counts = new int[10];
        for (int i = 0; i < y.length; i++) {
            int l = all.noisyLabels()[i];
            counts[l]++;
            if (l == y[i]) same++;
            assertThat(all.mask()[i]).isEqualTo(l != y[i]);
        }
        // about 1/C keep their class (binomial sd ~42 around 2,000); every class about 2,000 times
        assertThat(same).isBetween(1_800, 2_200);
        for (int c : counts) assertThat(c).isBetween(1_800, 2_200);
        assertThat(LabelNoise.uniform(y, 10, 1.0, 7).noisyLabels()).containsExactly(all.noisyLabels());
        assertThat(LabelNoise.uniform(y, 10, 1.0, 8).noisyLabels()).isNotEqualTo(all.noisyLabels());
        // a fraction replaces exactly (int)(fraction * N) labels; the others are untouched
        NoisyLabels half = LabelNoise.uniform(y, 10, 0.5, 7);
        int changed = 0;
        for (int i = 0; i < y.length; i++) if (half.noisyLabels()[i] != y[i]) changed++;
        assertThat(changed).isBetween(9_000 - 300, 9_000 + 300); // 10,000 replaced, ~9/10 of them changed
        assertThat(LabelNoise.uniform(y, 10, 0, 7).noisyLabels()).containsExactly(y);
        assertThatThrownBy(() -> LabelNoise.uniform(y, 10, 1.5, 7)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> LabelNoise.uniform(new int[] {3}, 2, 1, 7)).hasMessageContaining("label 3");
    }

    @Test
    void exactCountNeverTrueClassNeverPreviousClass() {
        int[] y = labels(10_007);
        NoisyLabels nl = LabelNoise.corrupt(y, 10, 0.1, 4);
        assertThat(nl.noisyCount()).isEqualTo((int) (0.1 * 10_007));
        assertThat(nl.noisyIndices()).hasSize(1000).isSorted();
        assertThat(nl.cleanIndices()).hasSize(10_007 - 1000);
        int[] noisy = nl.noisyLabels();
        int[] offsetsSeen = new int[10];
        for (int i = 0; i < y.length; i++) {
            if (nl.isNoisy(i)) {
                assertThat(noisy[i]).isNotEqualTo(y[i]).isNotEqualTo((y[i] + 9) % 10).isBetween(0, 9);
                offsetsSeen[(noisy[i] - y[i] + 10) % 10]++;
            } else {
                assertThat(noisy[i]).isEqualTo(y[i]);
            }
        }
        // offsets 1..8 all occur, 0 and 9 never
        assertThat(offsetsSeen[0]).isZero();
        assertThat(offsetsSeen[9]).isZero();
        for (int r = 1; r <= 8; r++) assertThat(offsetsSeen[r]).isGreaterThan(60);
        assertThat(nl.originalLabels()).isEqualTo(y);
        assertThat(Arrays.stream(nl.maskAsInts()).sum()).isEqualTo(1000);
    }

    @Test
    void paperCountsAtTenPercent() {
        assertThat(LabelNoise.corrupt(labels(60_000), 10, 0.1, 4).noisyCount()).isEqualTo(6000);
        assertThat(LabelNoise.corrupt(labels(50_000), 10, 0.1, 4).noisyCount()).isEqualTo(5000);
        assertThat(LabelNoise.corrupt(labels(73_257), 10, 0.1, 4).noisyCount()).isEqualTo(7325);
    }

    @Test
    void reproducibleFromSeedAndDifferentAcrossSeeds() {
        int[] y = labels(5000);
        NoisyLabels a = LabelNoise.corrupt(y, 10, 0.2, 5), b = LabelNoise.corrupt(y, 10, 0.2, 5);
        NoisyLabels c = LabelNoise.corrupt(y, 10, 0.2, 6);
        assertThat(a.noisyLabels()).isEqualTo(b.noisyLabels());
        assertThat(a.noisyIndices()).isEqualTo(b.noisyIndices());
        assertThat(a.noisyIndices()).isNotEqualTo(c.noisyIndices());
    }

    @Test
    void saveLoadRoundTripAndValidation() throws Exception {
        NoisyLabels a = LabelNoise.corrupt(labels(777), 10, 0.05, 42);
        Path f = dir.resolve("noise.csv");
        a.save(f);
        assertThat(Files.readAllLines(f).get(0)).isEqualTo("# engram-noisy-labels v1 seed=42 fraction=0.05 n=777 flagged=38");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(f); // no temp file left behind
        }
        NoisyLabels b = NoisyLabels.load(f);
        assertThat(b.noisyLabels()).isEqualTo(a.noisyLabels());
        assertThat(b.originalLabels()).isEqualTo(a.originalLabels());
        assertThat(b.mask()).isEqualTo(a.mask());
        assertThat(b.seed()).isEqualTo(42);
        assertThat(b.fraction()).isEqualTo(0.05);
        var lines = Files.readAllLines(f);
        Files.write(dir.resolve("t.csv"), lines.subList(0, 100));
        assertThatThrownBy(() -> NoisyLabels.load(dir.resolve("t.csv"))).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("777 rows").hasMessageContaining("truncated");
    }

    @Test
    void hugeDeclaredRowCountFailsBeforeAllocatingIt() throws Exception {
        Path f = dir.resolve("hostile.csv");
        Files.writeString(f, "# engram-noisy-labels v1 seed=0 fraction=0.1 n=2000000000 flagged=1\n"
                + "index,original,noisy,is_noisy\n0,1,2,1\n");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        // before the fix: OutOfMemoryError (three arrays of 2e9 entries, 18 GB)
        assertThatThrownBy(() -> NoisyLabels.load(f)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("n=2000000000");
        assertThat(threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before).isLessThan(64L << 20);
        // the smallest rows (8 bytes each) still load
        Path tight = dir.resolve("tight.csv");
        Files.writeString(tight, "# engram-noisy-labels v1 seed=0 fraction=0.5 n=2 flagged=1\n"
                + "index,original,noisy,is_noisy\n0,1,2,1\n1,3,3,0\n");
        NoisyLabels t = NoisyLabels.load(tight);
        assertThat(t.noisyLabels()).containsExactly(2, 3);
        assertThat(t.noisyIndices()).containsExactly(0);
    }

    @Test
    void appliesToDatasetKeepingImages() {
        byte[] px = new byte[20 * 4];
        Dataset d = new Dataset("d", 1, 2, 2, 10, px, labels(20));
        NoisyLabels nl = LabelNoise.corrupt(d, 0.5, 1);
        Dataset noisy = nl.applyTo(d);
        assertThat(noisy.labels()).isEqualTo(nl.noisyLabels());
        assertThat(d.labels()).isEqualTo(labels(20));
        assertThatThrownBy(() -> LabelNoise.corrupt(new int[] {0, 0}, 1, 0.5, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void atypicalMaskFromCScoresKeepsLabels() throws Exception {
        float[] scores = {0.9f, 0.1f, 0.5f, 0.49f};
        int[] y = {1, 2, 3, 4};
        NoisyLabels m = AtypicalMask.fromCScores(scores, y);
        assertThat(m.noisyIndices()).containsExactly(1, 3);
        assertThat(m.noisyLabels()).isEqualTo(y);
        assertThat(m.fraction()).isEqualTo(0.5);
        var buf = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float s : scores) buf.putFloat(s);
        Path npy = dir.resolve("cscores.npy");
        Files.write(npy, ReadersTest.npy("<f4", 4, buf));
        assertThat(AtypicalMask.fromNpy(npy, y, 0.5).noisyIndices()).containsExactly(1, 3);
    }

    @Test
    void savedFileHasTheModeOfOtherFilesNotAPrivateTempFileMode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path f = dir.resolve("noise.csv");
        LabelNoise.corrupt(labels(50), 10, 0.1, 1).save(f);
        Path other = Files.writeString(dir.resolve("other.txt"), "x"); // created under the same umask
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(Files.getPosixFilePermissions(other));
    }

    @Test
    void twoClassesFlipToTheOtherClassAndOneClassOnlyWithoutNoise() {
        int[] y = new int[40];
        for (int i = 0; i < y.length; i++) y[i] = i % 2;
        NoisyLabels n = LabelNoise.corrupt(y, 2, 0.25, 3);
        assertThat(n.noisyCount()).isEqualTo(10);
        for (int i : n.noisyIndices()) assertThat(n.noisyLabels()[i]).isEqualTo(1 - y[i]);
        for (int i : n.cleanIndices()) assertThat(n.noisyLabels()[i]).isEqualTo(y[i]);
        int[] single = new int[5];
        assertThat(LabelNoise.corrupt(single, 1, 0.0, 3).noisyCount()).isZero();
        assertThatThrownBy(() -> LabelNoise.corrupt(single, 1, 0.5, 3)).hasMessageContaining("at least 2 classes")
                .hasMessageContaining("has 1");
        assertThatThrownBy(() -> LabelNoise.corrupt(y, 2, 1.5, 3)).hasMessageContaining("1.5");
    }
}
