package dev.engram.datasets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a classification dataset from NumPy arrays: {@code x} (the inputs) and {@code y} (the labels), either as
 * files {@code x.npy} and {@code y.npy} in a folder or as entries {@code x} and {@code y} of one {@code .npz}
 * ({@code np.savez(path, x=x, y=y)}). A fixed test set may come along as {@code x_test}/{@code y_test} (files or
 * entries); otherwise the examples are split by {@link OwnDatasets#split} with the given test fraction.
 *
 * <p>Shapes of {@code x}: {@code (N, C, H, W)} (PyTorch order), {@code (N, H, W, C)} (NumPy/TensorFlow order),
 * {@code (N, H, W)} (one channel) or {@code (N, F)} (tabular: F features, kept as F channels of 1×1, so the
 * per-channel normalization standardizes each feature; works with the MLP). A 4-D array is taken as channels-first
 * when its second dimension is at most 4, else as channels-last when its last dimension is at most 4; anything else is
 * refused. dtype {@code uint8} is kept as pixels 0..255 (as images); float32 (and float64, rounded to float32) values
 * are used as they are. {@code y} is a 1-D integer array (any integer dtype, or floats holding whole numbers); the
 * number of classes is the largest label + 1, labels must lie in [0, classes), and there must be at least 2 classes.
 *
 * <p>Every problem is an {@link InvalidDatasetException} (or a {@link DatasetFormatException} for a malformed file)
 * naming the file: missing arrays, unsupported shapes or dtypes, x/y length mismatch, labels out of range, values that
 * are not finite, train and test inputs of different shapes.
 */
public final class NpyDatasetReader {
    private NpyDatasetReader() { }

    /**
     * Reads {@code path} (a folder with {@code x.npy}/{@code y.npy} or an {@code .npz} file).
     *
     * @param testFraction test fraction of the seeded split (used only without {@code x_test}/{@code y_test})
     * @param splitSeed    seed of that split
     */
    public static TrainTest read(Path path, double testFraction, long splitSeed) throws IOException {
        Map<String, NpyReader.Array> a;
        Path where;
        if (Files.isDirectory(path)) {
            a = new java.util.HashMap<>();
            for (String k : new String[] {"x", "y", "x_test", "y_test"}) {
                Path f = path.resolve(k + ".npy");
                if (Files.isRegularFile(f)) a.put(k, NpyReader.readArray(f));
                else if (Files.exists(f)) throw new InvalidDatasetException(f, "is not a regular file (a folder dataset"
                        + " holds x.npy and y.npy as files)");
            }
            where = path;
            for (String k : new String[] {"x", "y"}) {
                if (!a.containsKey(k)) {
                    throw new InvalidDatasetException(path.resolve(k + ".npy"), "missing (a folder dataset needs x.npy"
                            + " and y.npy; optionally x_test.npy and y_test.npy)");
                }
            }
        } else if (Files.isRegularFile(path)) {
            a = NpyReader.readNpzArrays(path, Set.of("x", "y", "x_test", "y_test"));
            where = path;
            for (String k : new String[] {"x", "y"}) {
                if (!a.containsKey(k)) {
                    throw new InvalidDatasetException(path, "has no entry '" + k + "' (save with np.savez(path, x=x,"
                            + " y=y), optionally x_test=…, y_test=…); its entries: " + npzEntries(path));
                }
            }
        } else {
            throw new InvalidDatasetException(path, "not found (expected a folder with x.npy and y.npy, or an .npz file)");
        }
        if (a.containsKey("x_test") != a.containsKey("y_test")) {
            String missing = a.containsKey("x_test") ? "y_test" : "x_test";
            throw new InvalidDatasetException(where, "has " + (missing.equals("y_test") ? "x_test" : "y_test")
                    + " but no " + missing);
        }
        String name = where.toAbsolutePath().normalize().getFileName().toString().replaceFirst("\\.npz$", "");
        int[] yTrain = labels(a.get("y"));
        int[] yTest = a.containsKey("y_test") ? labels(a.get("y_test")) : new int[0];
        int max = -1;
        for (int v : yTrain) max = Math.max(max, v);
        for (int i = 0; i < yTest.length; i++) {
            if (yTest[i] > max) {
                throw new InvalidDatasetException(Path.of(a.get("y_test").source()), "label " + yTest[i] + " of test example "
                        + i + " is above every training label (0.." + max + "): the model would have a class it never"
                        + " trains on");
            }
        }
        int classes = max + 1;
        if (classes < 2) {
            throw new InvalidDatasetException(Path.of(a.get("y").source()), "labels span " + classes
                    + " class(es); a classification dataset needs at least 2 (labels 0..K-1)");
        }
        Dataset train = inputs(a.get("x"), yTrain, classes, Path.of(a.get("y").source()), name + "-train");
        if (!a.containsKey("x_test")) return OwnDatasets.split(train.withName(name), testFraction, splitSeed, name);
        Dataset test = inputs(a.get("x_test"), yTest, classes, Path.of(a.get("y_test").source()), name + "-test");
        if (test.channels() != train.channels() || test.height() != train.height() || test.width() != train.width()
                || test.isFloat() != train.isFloat()) {
            throw new InvalidDatasetException(Path.of(a.get("x_test").source()), "has examples of shape "
                    + shape(test) + " but x has " + shape(train) + " (and both must have the same dtype kind)");
        }
        return new TrainTest(train, test);
    }

    /** Whether {@code path} brings its own test part ({@code x_test}/{@code y_test}). */
    public static boolean hasTestPart(Path path) {
        return Files.isDirectory(path) ? Files.isRegularFile(path.resolve("x_test.npy"))
                : Files.isRegularFile(path) && npzEntries(path).contains("x_test");
    }

    /**
     * The array row of every example of {@code data}, which {@link #read} returned for {@code path} with the same
     * test fraction and seed.
     */
    public static ExampleSources sources(Path path, TrainTest data, double testFraction, long splitSeed) throws IOException {
        boolean folder = Files.isDirectory(path);
        boolean fixedTest = hasTestPart(path);
        String npz = folder ? null : path.getFileName().toString();
        String x = folder ? "x.npy" : npz + ":x", xTest = folder ? "x_test.npy" : npz + ":x_test";
        if (fixedTest) return new ExampleSources(rows(x, identity(data.train().size())), rows(xTest, identity(data.test().size())));
        int[][] idx = OwnDatasets.splitIndices(data.train().size() + data.test().size(), testFraction, splitSeed);
        return new ExampleSources(rows(x, idx[0]), rows(x, idx[1]));
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static List<ExampleSources.Source> rows(String file, int[] rows) {
        List<ExampleSources.Source> out = new java.util.ArrayList<>(rows.length);
        for (int r : rows) out.add(new ExampleSources.Source(file, r));
        return out;
    }

    private static String shape(Dataset d) {
        return d.channels() + "x" + d.height() + "x" + d.width() + (d.isFloat() ? " float" : " uint8");
    }

    /** Labels as ints, refusing negative, fractional or huge values. */
    static int[] labels(NpyReader.Array y) throws IOException {
        Path f = Path.of(y.source());
        if (y.shape().length != 1 && !(y.shape().length == 2 && y.shape()[1] == 1)) {
            throw new InvalidDatasetException(f, "labels must be a 1-D array (N,), got shape " + y.shapeText());
        }
        int n = (int) y.count();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double v = y.isInteger() ? (double) y.getLong(i) : y.get(i);
            if (y.isInteger() && y.descr().substring(1).equals("u8") && y.getLong(i) < 0) v = Double.MAX_VALUE;
            if (v != Math.rint(v) || v < 0 || v > 1_000_000) {
                throw new InvalidDatasetException(f, "label " + (y.isInteger() ? Long.toString(y.getLong(i)) : Double.toString(v))
                        + " of example " + i + " is out of range (labels must be whole numbers in [0, K) for K"
                        + " classes)");
            }
            out[i] = (int) v;
        }
        return out;
    }

    private static Dataset inputs(NpyReader.Array x, int[] y, int classes, Path yFile, String name) throws IOException {
        Path f = Path.of(x.source());
        long[] s = x.shape();
        if (s.length < 2 || s.length > 4) {
            throw new InvalidDatasetException(f, "inputs must have shape (N, C, H, W), (N, H, W, C), (N, H, W) or (N, F);"
                    + " got " + x.shapeText());
        }
        if (s[0] != y.length) {
            throw new InvalidDatasetException(f, "has " + s[0] + " examples but " + yFile + " has " + y.length
                    + " labels; x and y must have the same length");
        }
        if (!(x.isUint8() || x.descr().endsWith("f4") || x.descr().endsWith("f8"))) {
            throw new InvalidDatasetException(f, "inputs must be uint8 or float32, got dtype " + x.descr());
        }
        int n = (int) s[0];
        int c, h, w;
        boolean channelsLast = false;
        switch (s.length) {
            case 2 -> { c = (int) s[1]; h = 1; w = 1; }
            case 3 -> { c = 1; h = (int) s[1]; w = (int) s[2]; }
            default -> {
                if (s[1] <= 4) {
                    c = (int) s[1]; h = (int) s[2]; w = (int) s[3];
                } else if (s[3] <= 4) {
                    channelsLast = true;
                    h = (int) s[1]; w = (int) s[2]; c = (int) s[3];
                } else {
                    throw new InvalidDatasetException(f, "cannot tell the channel axis of shape " + x.shapeText()
                            + ": neither dimension 1 (N,C,H,W) nor dimension 3 (N,H,W,C) is at most 4");
                }
            }
        }
        if (c < 1 || h < 1 || w < 1) throw new InvalidDatasetException(f, "has an empty dimension: " + x.shapeText());
        int es = c * h * w;
        if (x.isUint8()) {
            byte[] px = new byte[n * es];
            java.nio.ByteBuffer b = x.data();
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < es; k++) px[i * es + k] = b.get(i * es + src(k, c, h, w, channelsLast));
            }
            return new Dataset(name, c, h, w, classes, px, y);
        }
        float[] v = new float[n * es];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < es; k++) {
                float val = (float) x.get((long) i * es + src(k, c, h, w, channelsLast));
                if (!Float.isFinite(val)) {
                    throw new InvalidDatasetException(f, "value " + val + " of example " + i + " is not finite (NaN or"
                            + " infinite; as float32)");
                }
                v[i * es + k] = val;
            }
        }
        return Dataset.ofFloats(name, c, h, w, classes, v, y);
    }

    /** Offset inside one example of the source element for CHW position {@code k}. */
    private static int src(int k, int c, int h, int w, boolean channelsLast) {
        if (!channelsLast) return k;
        int ch = k / (h * w), yx = k % (h * w);
        return yx * c + ch;
    }

    /** The array names of an .npz archive, for a message: every entry, not only the ones read. */
    private static java.util.List<String> npzEntries(Path npz) {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(npz.toFile())) {
            return z.stream().map(java.util.zip.ZipEntry::getName)
                    .map(n -> n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n).sorted().toList();
        } catch (IOException e) {
            return java.util.List.of("(unlisted: " + e.getMessage() + ")");
        }
    }
}
