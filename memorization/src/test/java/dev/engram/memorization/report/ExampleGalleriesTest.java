package dev.engram.memorization.report;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.io.CsvTable;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Galleries pick the right examples, draw their pixels and refuse data that are not images. */
class ExampleGalleriesTest {
    /** Example i is an 8×8 image whose top-left pixel is i (the rest 0); labels given = true except for ids 1 and 3. */
    private static ExampleGalleries.Images images(int n, int side) {
        float[] x = new float[n * side * side];
        int[] given = new int[n], truth = new int[n], ids = new int[n];
        boolean[] noisy = new boolean[n];
        for (int i = 0; i < n; i++) {
            x[i * side * side] = i + 1;
            ids[i] = i;
            truth[i] = i % 3;
            noisy[i] = i == 1 || i == 3;
            given[i] = noisy[i] ? (truth[i] + 1) % 3 : truth[i];
        }
        ExampleSet set = new ExampleSet(x, given, ids, noisy, 1, side, side, 3);
        return new ExampleGalleries.Images() {
            @Override public ExampleSet train() {
                return set;
            }

            @Override public int[] trueLabels() {
                return truth;
            }
        };
    }

    private static BufferedImage png(byte[] b) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(b));
    }

    @Test
    void flippingShowsMemorizedFlippedTargetsWithTheFewestUnitsFirst() throws IOException {
        CsvTable t = new CsvTable("example_id", "noisy", "label", "memorized", "flipped", "count");
        t.addRow(1, 1, 2, 1, 1, 7).addRow(3, 1, 1, 1, 1, 2).addRow(5, 0, 2, 1, 1, 4).addRow(4, 0, 1, 0, 1, 1)
                .addRow(2, 0, 2, 1, 0, 50);
        List<ExampleGalleries.Figure> f = ExampleGalleries.flipping(t, images(6, 8));
        assertThat(f).hasSize(1);
        assertThat(PngTitle.read(f.get(0).png())).hasValueSatisfying(s -> assertThat(s).contains("fewest"));
        BufferedImage img = png(f.get(0).png());
        // two strips (mislabeled: ids 3 then 1; clean: id 5), the widest has two tiles
        int scale = (int) Math.ceil((double) Gallery.TILE / 8);
        assertThat(img.getWidth()).isLessThan(190 + 3 * Math.max(8 * scale, 96) + 20);
        // first tile of the first strip is id 3: its top-left pixel is its image maximum (white)
        assertThat(img.getRGB(190, 40 + 10) & 0xFFFFFF).isEqualTo(0xFFFFFF);
        assertThat(img.getRGB(190 + 8 * scale - 1, 40 + 10 + 8 * scale - 1) & 0xFFFFFF).isZero();
    }

    @Test
    void learnedLatestRanksNeverLearnedExamplesFirst() {
        CsvTable t = new CsvTable("index", "learned_for_good_epoch");
        t.addRow(0, 1).addRow(1, 7).addRow(2, 3).addRow(3, 7).addRow(4, 6);
        assertThat(ExampleGalleries.top(t, "learned_for_good_epoch", 1)).extracting(r -> r.get(0))
                .containsExactly("1", "3", "4", "2", "0");
        // tables written when never was -1: never still ranks as learned latest
        CsvTable old = new CsvTable("index", "learned_for_good_epoch");
        old.addRow(0, 1).addRow(1, -1).addRow(2, 3).addRow(3, -1).addRow(4, 6);
        assertThat(ExampleGalleries.top(old, "learned_for_good_epoch", 1)).extracting(r -> r.get(0))
                .containsExactly("1", "3", "4", "2", "0");
    }

    @Test
    void scoresShowEachScoresTopExamplesAndNoGalleryForTabularData() throws IOException {
        CsvTable t = new CsvTable("index", "mean_loss", "mean_margin");
        for (int i = 0; i < 6; i++) t.addRow(i, i == 3 ? 9.0 : 0.1 * i, i == 3 ? -5.0 : 1.0 + i);
        List<ExampleGalleries.Figure> f = ExampleGalleries.scores(t, images(6, 8));
        assertThat(f).hasSize(1);
        BufferedImage img = png(f.get(0).png());
        int scale = (int) Math.ceil((double) Gallery.TILE / 8);
        int strip = 8 * scale + 2 * 15 + 2 * 10;
        assertThat(img.getHeight()).isEqualTo(40 + 3 * strip); // mean loss, mean margin, least memorized
        assertThat(ExampleGalleries.scores(t, images(6, 1))).isEmpty();
        assertThatThrownBy(() -> Gallery.render("t", images(6, 1).train(), List.of()))
                .hasMessageContaining("not images");
    }
}
