package dev.engram.memorization.report;

import dev.engram.memorization.data.ExampleSet;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A gallery of training images as one PNG: strips of tiles, each strip with a label on its left (e.g. "highest mean
 * loss"), each tile an example's image scaled up without smoothing and a caption under it (example id, score, given
 * and true label; drawn in red when the two differ). Images are shown with each example's own minimum and maximum
 * mapped to black and white, so normalized inputs display as the pictures they are. Data that are not images
 * (fewer than 4 pixels per channel, i.e. tabular features) give no gallery.
 */
public final class Gallery {
    /** Tile side in pixels the images are scaled up to (at least; a whole multiple of the image side). */
    public static final int TILE = 84;
    private static final int LABEL_WIDTH = 190, CAPTION_LINES = 2, LINE = 15, GAP = 10;

    private Gallery() { }

    /**
     * One image of the gallery.
     *
     * @param row     the example's row in the {@link ExampleSet} given to {@link #render}
     * @param first   first caption line (e.g. {@code "#1772 · 2 units"})
     * @param second  second caption line (e.g. {@code "given 8 / true 3"})
     * @param alert   draw the caption in red (e.g. a mislabeled example)
     */
    public record Tile(int row, String first, String second, boolean alert) { }

    /** A labelled row of tiles. */
    public record Strip(String label, List<Tile> tiles) { }

    /** Whether {@code images} are pictures a gallery can show (at least 2×2 pixels). */
    public static boolean showable(ExampleSet images) {
        return images.height() * images.width() >= 4;
    }

    /**
     * The gallery as PNG bytes, its title stored in the file ({@link PngTitle}).
     *
     * @throws IllegalArgumentException when the images are not {@link #showable}, a strip is empty or a row is out of
     *                                  range
     */
    public static byte[] render(String title, ExampleSet images, List<Strip> strips) {
        if (!showable(images)) throw new IllegalArgumentException("gallery '" + title + "': the examples are not images ("
                + images.height() + "×" + images.width() + " pixels)");
        if (strips.isEmpty()) throw new IllegalArgumentException("gallery '" + title + "' has no strips");
        int scale = Math.max(1, (int) Math.ceil((double) TILE / Math.max(images.height(), images.width())));
        int tw = images.width() * scale, th = images.height() * scale;
        int columns = strips.stream().mapToInt(s -> s.tiles().size()).max().orElse(0);
        int cell = Math.max(tw, 96) + GAP;
        int stripHeight = th + CAPTION_LINES * LINE + 2 * GAP;
        int width = LABEL_WIDTH + columns * cell + GAP;
        int height = 40 + strips.size() * stripHeight;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, GAP, 25);
            Font label = new Font(Font.SANS_SERIF, Font.BOLD, 13), caption = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
            for (int s = 0; s < strips.size(); s++) {
                Strip strip = strips.get(s);
                int y0 = 40 + s * stripHeight;
                g.setColor(Color.BLACK);
                g.setFont(label);
                wrap(g, strip.label(), GAP, y0 + 18, LABEL_WIDTH - 2 * GAP);
                for (int t = 0; t < strip.tiles().size(); t++) {
                    Tile tile = strip.tiles().get(t);
                    if (tile.row() < 0 || tile.row() >= images.size()) {
                        throw new IllegalArgumentException("gallery '" + title + "': row " + tile.row() + " outside 0.."
                                + (images.size() - 1));
                    }
                    int x0 = LABEL_WIDTH + t * cell;
                    g.drawImage(image(images, tile.row(), scale), x0, y0 + GAP, null);
                    g.setFont(caption);
                    g.setColor(tile.alert() ? new Color(0xB2182B) : Color.DARK_GRAY);
                    g.drawString(fit(g, tile.first(), cell - 4), x0, y0 + GAP + th + LINE);
                    g.drawString(fit(g, tile.second(), cell - 4), x0, y0 + GAP + th + 2 * LINE);
                }
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return PngTitle.withTitle(out.toByteArray(), title);
    }

    /** Example {@code row} as an RGB image, min-max scaled, each pixel repeated {@code scale} times. */
    private static BufferedImage image(ExampleSet set, int row, int scale) {
        int c = set.channels(), h = set.height(), w = set.width(), plane = h * w;
        float[] x = set.x();
        int off = row * set.exampleSize();
        int shown = c >= 3 ? 3 : 1;
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < shown * plane; i++) {
            float v = x[off + i];
            if (Float.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        float range = hi > lo ? hi - lo : 1;
        BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int yy = 0; yy < h; yy++) {
            for (int xx = 0; xx < w; xx++) {
                int[] rgb = new int[3];
                for (int k = 0; k < 3; k++) {
                    float v = x[off + (shown == 3 ? k : 0) * plane + yy * w + xx];
                    rgb[k] = Float.isFinite(v) ? Math.round(255 * Math.min(1, Math.max(0, (v - lo) / range))) : 0;
                }
                int p = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2];
                for (int dy = 0; dy < scale; dy++) for (int dx = 0; dx < scale; dx++) img.setRGB(xx * scale + dx, yy * scale + dy, p);
            }
        }
        return img;
    }

    private static String fit(Graphics2D g, String s, int width) {
        FontMetrics m = g.getFontMetrics();
        if (m.stringWidth(s) <= width) return s;
        String t = s;
        while (t.length() > 1 && m.stringWidth(t + "…") > width) t = t.substring(0, t.length() - 1);
        return t + "…";
    }

    private static void wrap(Graphics2D g, String text, int x, int y, int width) {
        FontMetrics m = g.getFontMetrics();
        StringBuilder line = new StringBuilder();
        int yy = y;
        for (String word : text.split(" ")) {
            if (line.length() > 0 && m.stringWidth(line + " " + word) > width) {
                g.drawString(line.toString(), x, yy);
                yy += LINE + 1;
                line.setLength(0);
            }
            if (line.length() > 0) line.append(' ');
            line.append(word);
        }
        if (line.length() > 0) g.drawString(line.toString(), x, yy);
    }
}
