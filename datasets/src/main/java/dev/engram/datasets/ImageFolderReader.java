package dev.engram.datasets;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads an image-classification folder in the layout torchvision's {@code ImageFolder} reads:
 * <pre>
 * ROOT/&lt;class a&gt;/*.png|*.jpg|*.jpeg     one sub-folder per class; class index = position in sorted name order
 * ROOT/&lt;class b&gt;/...
 * </pre>
 * or, with a fixed test set, {@code ROOT/train/<class>/…} and {@code ROOT/test/<class>/…} (the same class folders
 * in both; without {@code test/}, one of {@code val/}, {@code valid/} or {@code validation/} is taken in its place).
 * Without a held-out folder (class folders at the top, or {@code train/} alone) the examples are split by
 * {@link OwnDatasets#split} with the given test fraction. A {@code train/} or held-out folder beside class folders is
 * refused, not read as a class. Files are taken in sorted path order inside each class folder (sub-folders included), so
 * example {@code i} is always the same file; symbolic links are followed (as torchvision does); hidden files, files in
 * hidden sub-folders (such as Jupyter's {@code .ipynb_checkpoints}) and files without a PNG/JPEG extension are skipped.
 *
 * <p>Images are decoded with the JDK's ImageIO. The channel count comes from the files: grey (with or without
 * alpha) gives 1 channel, colour (RGB, palette) gives 3, whatever the bit depth (a 1-, 2- or 4-bit grey PNG is grey too); alpha is dropped; 16-bit samples are rounded to 8 bits. All
 * images must have the same channel count and, unless a size is asked for, the same height and width. With a size
 * {@code H×W} every image is resized with bilinear interpolation (half-pixel centres, no antialiasing, as
 * {@code torch.nn.functional.interpolate(mode="bilinear", align_corners=False)}), then rounded to 8 bits.
 *
 * <p>Every problem is an {@link InvalidDatasetException} naming the file or folder: no class folders, an empty class
 * folder, an unreadable image, mixed sizes or channel counts, different class folders in {@code train/} and
 * {@code test/}.
 */
public final class ImageFolderReader {
    /** File extensions read (case-insensitive). */
    public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    private ImageFolderReader() { }

    /**
     * Reads {@code root} as described above.
     *
     * @param size         {height, width} to resize to, or null to keep the files' size
     * @param testFraction test fraction of the seeded split (used only without {@code train/} and {@code test/})
     * @param splitSeed    seed of that split
     */
    public static TrainTest read(Path root, int[] size, double testFraction, long splitSeed) throws IOException {
        if (!Files.isDirectory(root)) throw new InvalidDatasetException(root, "not a folder (expected one sub-folder per class)");
        String name = root.toAbsolutePath().normalize().getFileName() == null ? "folder"
                : root.toAbsolutePath().normalize().getFileName().toString();
        Layout layout = layout(root);
        if (layout.train != null && layout.test != null) {
            List<String> classes = classes(layout.train);
            List<String> testClasses = classes(layout.test);
            if (!classes.equals(testClasses)) {
                throw new InvalidDatasetException(layout.test, "has class folders " + testClasses + " but " + layout.train
                        + " has " + classes + "; both need the same class folders");
            }
            Shape shape = new Shape(size);
            Dataset tr = readClasses(layout.train, classes, shape, name + "-train");
            Dataset te = readClasses(layout.test, classes, shape, name + "-test");
            return new TrainTest(tr, te);
        }
        Path dir = layout.train != null ? layout.train : root;
        List<String> classes = classes(dir);
        Dataset all = readClasses(dir, classes, new Shape(size), name);
        return OwnDatasets.split(all, testFraction, splitSeed, name);
    }

    /**
     * The file of every example {@link #read} returns for the same arguments (sizes play no part), without decoding
     * any image: the same layout, class and file order, and split.
     */
    public static ExampleSources sources(Path root, double testFraction, long splitSeed) throws IOException {
        if (!Files.isDirectory(root)) throw new InvalidDatasetException(root, "not a folder (expected one sub-folder per class)");
        Layout layout = layout(root);
        if (layout.train != null && layout.test != null) {
            return new ExampleSources(files(root, layout.train), files(root, layout.test));
        }
        List<ExampleSources.Source> all = files(root, layout.train != null ? layout.train : root);
        int[][] idx = OwnDatasets.splitIndices(all.size(), testFraction, splitSeed);
        return new ExampleSources(pick(all, idx[0]), pick(all, idx[1]));
    }

    private static List<ExampleSources.Source> files(Path root, Path dir) throws IOException {
        List<ExampleSources.Source> out = new ArrayList<>();
        for (String c : classes(dir)) {
            for (Path f : images(dir.resolve(c))) {
                out.add(new ExampleSources.Source(root.relativize(f).toString().replace(java.io.File.separatorChar, '/'), -1));
            }
        }
        return out;
    }

    static List<ExampleSources.Source> pick(List<ExampleSources.Source> all, int[] idx) {
        List<ExampleSources.Source> out = new ArrayList<>(idx.length);
        for (int i : idx) out.add(all.get(i));
        return out;
    }

    /** Whether {@code root} brings its own held-out part ({@code train/} with {@code test/} or one of its synonyms). */
    public static boolean hasTestPart(Path root) throws IOException {
        return Files.isDirectory(root) && layout(root).test != null;
    }

    /** Names of the folder holding the held-out part, besides {@code train/}: the first one present is used. */
    public static final List<String> HELD_OUT_NAMES = List.of("test", "val", "valid", "validation");

    /** Where the training and the held-out class folders are; {@code train} null = the root holds the classes. */
    private record Layout(Path train, Path test) { }

    /**
     * The layout of {@code root}: {@code train/} with a held-out folder beside it ({@code test/} when present, else the
     * one of {@code val/}, {@code valid/}, {@code validation/}; other folders beside them are ignored, as before this
     * layout knew the synonyms), {@code train/} alone (split like a plain folder), or class folders at the top.
     * Refused, rather than read as classes "train" and "val": {@code train/} beside class folders without a held-out
     * folder, several held-out synonyms without {@code test/}, and a held-out folder without {@code train/}.
     */
    private static Layout layout(Path root) throws IOException {
        List<String> top = subFolders(root);
        String train = top.stream().filter(n -> n.equalsIgnoreCase("train")).findFirst().orElse(null);
        List<String> heldOut = top.stream().filter(n -> HELD_OUT_NAMES.contains(n.toLowerCase(Locale.ROOT))).toList();
        String test = heldOut.stream().filter(n -> n.equalsIgnoreCase("test")).findFirst().orElse(null);
        String layouts = "expected ROOT/<class>/… (a test set is then split off by --test-fraction), or ROOT/train/<class>/…"
                + " with an optional held-out ROOT/test/<class>/… (or val/, valid/, validation/)";
        if (train == null) {
            if (!heldOut.isEmpty()) {
                throw new InvalidDatasetException(root, "has a " + heldOut.get(0) + "/ folder but no train/ folder beside it;"
                        + " " + layouts);
            }
            return new Layout(null, null);
        }
        if (test != null) return new Layout(root.resolve(train), root.resolve(test));
        if (heldOut.size() > 1) {
            throw new InvalidDatasetException(root, "has a train/ folder and several held-out folders " + heldOut
                    + " but no test/; keep one of them, or name the one to test on test/");
        }
        if (heldOut.size() == 1) return new Layout(root.resolve(train), root.resolve(heldOut.get(0)));
        List<String> others = top.stream().filter(n -> !n.equals(train)).toList();
        if (!others.isEmpty()) {
            throw new InvalidDatasetException(root, "mixes a train/ folder with other folders " + others + "; " + layouts);
        }
        return new Layout(root.resolve(train), null);
    }

    private static List<String> subFolders(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (Files.isDirectory(p) && !n.startsWith(".")) names.add(n);
            }
        }
        names.sort(null);
        return names;
    }

    /** Sorted names of the non-hidden sub-folders of {@code dir}; at least one. */
    static List<String> classes(Path dir) throws IOException {
        List<String> names = subFolders(dir);
        if (names.isEmpty()) {
            throw new InvalidDatasetException(dir, "has no class sub-folders (expected one sub-folder of PNG/JPEG"
                    + " images per class, or train/ and test/ folders of them)");
        }
        return names;
    }

    /** Image files of a class folder, sorted by path; at least one. */
    static List<Path> images(Path classDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(classDir, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            files = s.filter(Files::isRegularFile).filter(p -> {
                for (Path part : classDir.relativize(p)) if (part.toString().startsWith(".")) return false; // hidden file or folder
                String lower = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return EXTENSIONS.stream().anyMatch(lower::endsWith);
            }).sorted().toList();
        } catch (java.io.UncheckedIOException e) { // e.g. a symbolic link loop
            throw new InvalidDatasetException(classDir, "cannot list the class folder: " + e.getCause(), e.getCause());
        }
        if (files.isEmpty()) {
            throw new InvalidDatasetException(classDir, "class folder holds no PNG/JPEG image (" + EXTENSIONS
                    + "); remove it or add images");
        }
        return files;
    }

    /** The common channel count and size, fixed by the first image (or the requested size). */
    private static final class Shape {
        final int[] resize;
        int channels, height, width;
        Path first;

        Shape(int[] resize) {
            this.resize = resize;
        }
    }

    private static Dataset readClasses(Path dir, List<String> classes, Shape shape, String name) throws IOException {
        List<byte[]> imgs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            for (Path f : images(dir.resolve(classes.get(c)))) {
                imgs.add(decode(f, shape));
                labels.add(c);
            }
        }
        int es = shape.channels * shape.height * shape.width;
        byte[] pixels = new byte[imgs.size() * es];
        for (int i = 0; i < imgs.size(); i++) System.arraycopy(imgs.get(i), 0, pixels, i * es, es);
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        return new Dataset(name, shape.channels, shape.height, shape.width, classes.size(), pixels, y);
    }

    /** Decodes {@code f} to CHW bytes, checking it against (and on the first image setting) {@code shape}. */
    static byte[] decode(Path f, Shape shape) throws IOException {
        BufferedImage img;
        try {
            img = ImageIO.read(f.toFile());
        } catch (IOException | RuntimeException e) {
            throw new InvalidDatasetException(f, "unreadable image (" + e.getMessage() + ")", e);
        }
        if (img == null) throw new InvalidDatasetException(f, "unreadable image (no ImageIO decoder recognises it)");
        int h = img.getHeight(), w = img.getWidth();
        // ImageIO gives 1-, 2- and 4-bit grey PNGs a palette (three colour components) of grey levels
        boolean greyPalette = img.getColorModel() instanceof IndexColorModel && isGreyPng(f);
        int c = img.getColorModel().getNumColorComponents() == 1 || greyPalette ? 1 : 3;
        byte[] px = new byte[c * h * w];
        if (greyPalette) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) px[y * w + x] = (byte) img.getRGB(x, y); // the palette's grey level
            }
        } else if (c == 1) {
            Raster r = img.getRaster();
            int bits = img.getColorModel().getComponentSize(0);
            long max = (1L << bits) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = r.getSample(x, y, 0);
                    px[y * w + x] = (byte) (bits == 8 ? v : (int) ((v * 255L + max / 2) / max));
                }
            }
        } else {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    px[y * w + x] = (byte) (rgb >> 16);
                    px[h * w + y * w + x] = (byte) (rgb >> 8);
                    px[2 * h * w + y * w + x] = (byte) rgb;
                }
            }
        }
        if (shape.first == null) {
            shape.first = f;
            shape.channels = c;
            shape.height = shape.resize != null ? shape.resize[0] : h;
            shape.width = shape.resize != null ? shape.resize[1] : w;
        } else {
            if (c != shape.channels) {
                throw new InvalidDatasetException(f, "has " + c + " channel(s) (" + (c == 1 ? "grey" : "colour")
                        + ") but " + shape.first + " has " + shape.channels + "; convert all images to the same mode");
            }
            if (shape.resize == null && (h != shape.height || w != shape.width)) {
                throw new InvalidDatasetException(f, "is " + h + "x" + w + " but " + shape.first + " is "
                        + shape.height + "x" + shape.width + "; make the sizes equal or pass --image-size HxW");
            }
        }
        return shape.resize == null || (h == shape.height && w == shape.width) ? px
                : resize(px, c, h, w, shape.height, shape.width);
    }

    /** True when {@code f} is a PNG whose IHDR colour type is grey (0) or grey with alpha (4). */
    private static boolean isGreyPng(Path f) throws IOException {
        byte[] head = new byte[26]; // signature (8), IHDR length and type (8), width, height, bit depth, colour type
        int got;
        try (java.io.InputStream in = Files.newInputStream(f)) {
            got = in.readNBytes(head, 0, head.length);
        }
        return got == head.length && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G'
                && head[12] == 'I' && head[13] == 'H' && head[14] == 'D' && head[15] == 'R' && (head[25] == 0 || head[25] == 4);
    }

    /**
     * Bilinear resize of CHW bytes with half-pixel centres and edge clamping (no antialiasing), rounded to the
     * nearest byte.
     */
    public static byte[] resize(byte[] src, int c, int h, int w, int oh, int ow) {
        byte[] out = new byte[c * oh * ow];
        double sy = (double) h / oh, sx = (double) w / ow;
        for (int y = 0; y < oh; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, h - 1), y1 = Math.min(y0 + 1, h - 1);
            double ay = fy - y0;
            for (int x = 0; x < ow; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, w - 1), x1 = Math.min(x0 + 1, w - 1);
                double ax = fx - x0;
                for (int ch = 0; ch < c; ch++) {
                    int b = ch * h * w;
                    double v = (1 - ay) * ((1 - ax) * (src[b + y0 * w + x0] & 0xFF) + ax * (src[b + y0 * w + x1] & 0xFF))
                            + ay * ((1 - ax) * (src[b + y1 * w + x0] & 0xFF) + ax * (src[b + y1 * w + x1] & 0xFF));
                    out[ch * oh * ow + y * ow + x] = (byte) Math.min(255, Math.max(0, Math.round(v)));
                }
            }
        }
        return out;
    }
}
