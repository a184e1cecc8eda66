package dev.engram.memorization.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChartsTest {
    @TempDir
    Path dir;

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Checks the PNG signature, decodes it and returns the image; also checks it is not blank. */
    static BufferedImage assertValidPng(Path f) throws IOException {
        byte[] bytes = Files.readAllBytes(f);
        assertThat(bytes.length).isGreaterThan(2_000);
        byte[] head = new byte[8];
        System.arraycopy(bytes, 0, head, 0, 8);
        assertThat(head).containsExactly(PNG_MAGIC);
        BufferedImage img = ImageIO.read(f.toFile());
        assertThat(img).isNotNull();
        // drawn content: more than a handful of distinct colours
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7) for (int x = 0; x < img.getWidth(); x += 7) colours.add(img.getRGB(x, y));
        assertThat(colours.size()).isGreaterThan(3);
        return img;
    }

    static double[] range(int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    @Test
    void lineChartWithErrorBars() throws IOException {
        Path f = dir.resolve("lines.png");
        double[] x = range(11);
        double[] clean = new double[11], noisy = new double[11], err = new double[11];
        for (int i = 0; i < 11; i++) {
            clean[i] = 1 - Math.exp(-i / 2.0);
            noisy[i] = 1 / (1 + Math.exp(-(i - 6)));
            err[i] = 0.03;
        }
        Charts.line(f, "Training accuracy", "epoch", "accuracy",
                List.of(new Charts.Series("clean", x, clean, err), Charts.Series.of("noisy", x, noisy)));
        BufferedImage img = assertValidPng(f);
        assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(img.getHeight()).isEqualTo(Charts.HEIGHT);
    }

    @Test
    void groupedBarChart() throws IOException {
        Path f = dir.resolve("bars.png");
        Map<String, double[]> g = new LinkedHashMap<>();
        g.put("clean", new double[] {0.9, 0.8, 0.85});
        g.put("noisy", new double[] {0.2, 0.5, 0.1});
        Charts.groupedBar(f, "Accuracy after rewinding", "layer", "accuracy", List.of("conv1", "conv2", "linear"), g);
        assertValidPng(f);
    }

    @Test
    void histogramOverlay() throws IOException {
        Random r = new Random(7);
        double[] clean = new double[900], noisy = new double[100];
        for (int i = 0; i < clean.length; i++) clean[i] = 20 + 5 * r.nextGaussian();
        for (int i = 0; i < noisy.length; i++) noisy[i] = 5 + 2 * r.nextGaussian();
        Map<String, double[]> s = new LinkedHashMap<>();
        s.put("clean", clean);
        s.put("noisy", noisy);
        Path f = dir.resolve("hist.png");
        Charts.histogram(f, "Units needed to flip", "units zeroed", s, 20, true);
        assertValidPng(f);
        assertThat(Charts.binCounts(new double[] {0, 0.5, 1, 2, 5}, 0, 2, 2)).containsExactly(2, 2);
    }

    @Test
    void heatMap() throws IOException {
        int epochs = 30, layers = 9;
        double[][] v = new double[epochs][layers];
        for (int e = 0; e < epochs; e++) for (int l = 0; l < layers; l++) v[e][l] = -0.9 + 0.05 * l + 0.01 * e;
        List<String> cols = new ArrayList<>(), rows = new ArrayList<>();
        for (int l = 0; l < layers; l++) cols.add("L" + l);
        for (int e = 0; e < epochs; e++) rows.add(Integer.toString(e + 1));
        Path f = dir.resolve("heat.png");
        Charts.heatMap(f, "Cosine(clean, noisy gradient)", "layer", "epoch", cols, rows, v, -1, 1);
        BufferedImage img = assertValidPng(f);
        assertThat(img.getHeight()).isGreaterThanOrEqualTo(Charts.HEIGHT);
    }

    @Test
    void badChartInputsAreNamed() {
        assertThatThrownBy(() -> Charts.Series.of("noisy", new double[] {1, 2}, new double[] {1}))
                .hasMessageContaining("noisy").hasMessageContaining("2 x and 1 y");
        assertThatThrownBy(() -> Charts.heatMapChart("h", "x", "y", List.of("a"), List.of("r"), new double[][] {{1, 2}}, -1, 1))
                .hasMessageContaining("row 0 has 2 values for 1 columns");
        assertThatThrownBy(() -> Charts.groupedBarChart("b", "x", "y", List.of("a", "b"), Map.of("g", new double[] {1})))
                .hasMessageContaining("'g' has 1 values for 2 categories");
    }
}
