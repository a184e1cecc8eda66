package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

class LoaderTest {
    /** n examples of 3x6x6; pixel encodes (example, c, y, x); label = example % 10. */
    static Dataset data(int n) {
        int es = 3 * 6 * 6;
        byte[] px = new byte[n * es];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 6; x++) px[i * es + (c * 6 + y) * 6 + x] = (byte) (1 + x + 6 * y + 40 * c + i);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        return new Dataset("synthetic", 3, 6, 6, 10, px, labels);
    }

    static List<Batch> all(DataLoader l) {
        List<Batch> out = new ArrayList<>();
        for (Batch b : l) out.add(b);
        return out;
    }

    static int[] indices(List<Batch> bs) {
        return bs.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray();
    }

    @Test
    void shuffleIsAPermutationReproduciblePerSeedAndEpoch() {
        Dataset d = data(103);
        try (DataLoader a = DataLoader.builder(d).batchSize(10).shuffle(true, 7).workers(2).build();
             DataLoader b = DataLoader.builder(d).batchSize(10).shuffle(true, 7).workers(0).build()) {
            assertThat(a.batchesPerEpoch()).isEqualTo(11);
            List<Batch> e0 = all(a);
            assertThat(e0).hasSize(11);
            assertThat(e0.get(10).size()).isEqualTo(3);
            int[] idx = indices(e0);
            assertThat(idx.clone()).satisfies(x -> {
                Arrays.sort(x);
                for (int i = 0; i < x.length; i++) assertThat(x[i]).isEqualTo(i);
            });
            assertThat(idx).isNotEqualTo(d.originalIndices());
            assertThat(indices(all(b))).isEqualTo(idx); // same seed, other worker count
            assertThat(indices(all(a))).isEqualTo(idx); // same epoch again
            a.setEpoch(1);
            assertThat(indices(all(a))).isNotEqualTo(idx);
            // x and y match the dataset for the carried indices
            Batch first = e0.get(0);
            float[] img = new float[108];
            for (int k = 0; k < first.size(); k++) {
                assertThat(first.y()[k]).isEqualTo(d.label(first.indices()[k]));
                d.copyImageAsFloat(first.indices()[k], img, 0, Normalization.PAPER);
                assertThat(Arrays.copyOfRange(first.x(), k * 108, (k + 1) * 108)).isEqualTo(img);
            }
        }
    }

    @Test
    void dropLastAndSubsetsCarryOriginalIndices() {
        Dataset d = data(50);
        try (DataLoader l = DataLoader.builder(d).batchSize(8).dropLast(true).build()) {
            assertThat(l.batchesPerEpoch()).isEqualTo(6);
            assertThat(all(l)).hasSize(6).allSatisfy(b -> assertThat(b.size()).isEqualTo(8));
        }
        int[] pos = {5, 17, 3, 40};
        try (DataLoader l = DataLoader.builder(d).batchSize(3).subset(pos).workers(1).build()) {
            assertThat(indices(all(l))).containsExactly(5, 17, 3, 40);
        }
        Dataset sub = d.subset(new int[] {9, 2, 30});
        assertThat(sub.originalIndices()).containsExactly(9, 2, 30);
        Dataset subsub = sub.subset(new int[] {2, 0});
        assertThat(subsub.originalIndices()).containsExactly(30, 9);
        assertThat(subsub.label(0)).isEqualTo(0);
        assertThat(subsub.pixel(0, 1, 2, 3)).isEqualTo(d.pixel(30, 1, 2, 3));
        try (DataLoader l = DataLoader.builder(subsub).batchSize(5).shuffle(true, 1).build()) {
            assertThat(indices(all(l))).containsExactlyInAnyOrder(30, 9);
        }
    }

    @Test
    void workerExceptionIsRethrownOnConsumerWithCause() {
        Dataset d = data(40);
        DataLoader l = DataLoader.builder(d).batchSize(4).workers(2).beforeBatch(b -> {
            if (b == 3) throw new IllegalStateException("boom at 3");
        }).build();
        Iterator<Batch> it = l.iterator();
        it.next();
        it.next();
        it.next();
        assertThatThrownBy(it::next).isInstanceOf(DataLoaderException.class)
                .hasMessageContaining("batch 3").hasRootCauseInstanceOf(IllegalStateException.class)
                .hasRootCauseMessage("boom at 3");
        l.close();
        assertThat(l.liveWorkerThreads()).isZero();
    }

    @Test
    void closeStopsBlockedPrefetchThreads() throws Exception {
        Dataset d = data(200);
        CountDownLatch started = new CountDownLatch(1);
        DataLoader l = DataLoader.builder(d).batchSize(2).workers(2).prefetch(1)
                .beforeBatch(b -> started.countDown()).build();
        Iterator<Batch> it = l.iterator();
        started.await();
        Thread.sleep(50);
        assertThat(l.liveWorkerThreads()).isEqualTo(2); // blocked on full queues
        assertThat(it.next().indices()).containsExactly(0, 1);
        l.close();
        assertThat(l.liveWorkerThreads()).isZero();
        assertThatThrownBy(l::iterator).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void augmentationShiftsWithinPaddingAndFlipMirrors() {
        Dataset d = data(1);
        float[] lut = Normalization.UNIT.lookupTable(3);
        byte[] src = new byte[108];
        d.copyImage(0, src, 0);
        Augmentation aug = new Augmentation(2, 0.5, 9);
        float[] out = new float[108];
        // no shift (dy=dx=pad), no flip = identity
        aug.apply(src, 0, 3, 6, 6, lut, new Augmentation.Params(2, 2, false), out, 0);
        for (int k = 0; k < 108; k++) assertThat(out[k]).isEqualTo((src[k] & 0xFF) / 255f);
        // dy=0,dx=4: out(y,x) = src(y-2, x+2), zeros outside
        aug.apply(src, 0, 3, 6, 6, lut, new Augmentation.Params(0, 4, false), out, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++) {
                    int sy = y - 2, sx = x + 2;
                    float want = (sy < 0 || sx >= 6) ? 0f : d.pixel(0, c, sy, sx) / 255f;
                    assertThat(out[(c * 6 + y) * 6 + x]).isEqualTo(want);
                }
        // flip only: mirror
        aug.apply(src, 0, 3, 6, 6, lut, new Augmentation.Params(2, 2, true), out, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++) assertThat(out[(c * 6 + y) * 6 + x]).isEqualTo(d.pixel(0, c, y, 5 - x) / 255f);
        // params are deterministic per (epoch, index) and cover the range
        assertThat(aug.params(3, 17)).isEqualTo(aug.params(3, 17));
        boolean sawFlip = false, sawNoFlip = false;
        for (int i = 0; i < 200; i++) {
            Augmentation.Params p = aug.params(0, i);
            assertThat(p.dy()).isBetween(0, 4);
            assertThat(p.dx()).isBetween(0, 4);
            sawFlip |= p.flip();
            sawNoFlip |= !p.flip();
        }
        assertThat(sawFlip && sawNoFlip).isTrue();
    }

    @Test
    void augmentationOfTabularOneByOneExamplesIsRefused() {
        float[] v = new float[8 * 5];
        for (int k = 0; k < v.length; k++) v[k] = 1 + k;
        Dataset tab = Dataset.ofFloats("tab", 5, 1, 1, 2, v, new int[] {0, 1, 0, 1, 0, 1, 0, 1});
        // before the fix: accepted, and crop padding 4 replaced the features of all but 1 in 81 examples by 0
        assertThatThrownBy(() -> DataLoader.builder(tab).augmentation(Augmentation.cropAndFlip(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tab").hasMessageContaining("1x1")
                .hasMessageContaining("without augmentation");
        assertThatThrownBy(() -> DataLoader.builder(tab).augmentation(new Augmentation(0, 0.5, 1)).build())
                .isInstanceOf(IllegalArgumentException.class);
        try (DataLoader plain = DataLoader.builder(tab).batchSize(8).normalization(Normalization.UNIT).workers(0).build()) {
            assertThat(all(plain).get(0).x()).isEqualTo(v); // unaugmented: the features as they are
        }
    }

    @Test
    void augmentedLoaderKeepsShapesAndIsDeterministicAcrossWorkerCounts() {
        Dataset d = data(64);
        Augmentation aug = Augmentation.cropAndFlip(3);
        try (DataLoader a = DataLoader.builder(d).batchSize(16).shuffle(true, 2).augmentation(aug).workers(2).build();
             DataLoader b = DataLoader.builder(d).batchSize(16).shuffle(true, 2).augmentation(aug).workers(0).build()) {
            List<Batch> x = all(a), y = all(b);
            assertThat(x).hasSize(4);
            for (int i = 0; i < 4; i++) {
                assertThat(x.get(i).x()).hasSize(16 * 108).isEqualTo(y.get(i).x());
                assertThat(x.get(i).channels()).isEqualTo(3);
                assertThat(x.get(i).height()).isEqualTo(6);
            }
            // padded pixels are normalized black (-1 under PAPER)
            boolean sawPad = false;
            for (float v : x.get(0).x()) if (v == -1f) sawPad = true;
            assertThat(sawPad).isTrue();
            a.setEpoch(1);
            assertThat(all(a).get(0).x()).isNotEqualTo(x.get(0).x());
        }
    }
}
