package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader for IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed (detected by the gzip magic bytes
 * {@code 1f 8b}). Images: magic {@code 0x00000803}, dims N, rows, cols (big-endian int32), then N*rows*cols
 * uint8. Labels: magic {@code 0x00000801}, dim N, then N uint8. Reading streams the file once; the magic,
 * dimensions, exact payload length (no truncation, no trailing bytes), the gzip CRC-32 and length trailer and the
 * label range are validated; arrays are allocated as their bytes arrive, never from a declared count alone. Offsets
 * in error messages of gzip files are offsets in the decompressed stream.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() { }

    /**
     * Decoded image file.
     *
     * @param count  number of images
     * @param rows   image height
     * @param cols   image width
     * @param pixels uint8 pixels, image i at {@code i*rows*cols}
     */
    public record Images(int count, int rows, int cols, byte[] pixels) { }

    /** Opens {@code file}, transparently gunzipping it if it starts with the gzip magic. */
    static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            in.mark(2);
            int b0 = in.read(), b1 = in.read();
            in.reset();
            if (b0 == 0x1f && b1 == 0x8b) return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            return in;
        } catch (IOException e) {
            in.close();
            throw BinaryInput.wrap(file.toString(), 0, "a gzip header", e);
        }
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            return raw.read() == 0x1f && raw.read() == 0x8b;
        }
    }

    private static BinaryInput input(Path file, InputStream in) throws IOException {
        if (isGzip(file)) return new BinaryInput(in, file + " (gzip, decompressed offsets)");
        return new BinaryInput(in, file.toString()).length(Files.size(file));
    }

    /** Reads an IDX image file. */
    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readImages(input(file, in));
        }
    }

    /** Reads an IDX image file from a stream ({@code source} names it in errors). */
    public static Images readImages(InputStream stream, String source) throws IOException {
        return readImages(new BinaryInput(stream, source));
    }

    private static Images readImages(BinaryInput in) throws IOException {
        String source = in.source();
        int magic = in.readI32("IDX magic");
        if (magic != IMAGES_MAGIC) {
            throw new DatasetFormatException(source, 0, "IDX image magic 0x00000803",
                    String.format("0x%08x", magic));
        }
        int n = in.readI32("image count");
        int rows = in.readI32("row count");
        int cols = in.readI32("column count");
        if (n < 0 || rows <= 0 || cols <= 0 || rows > 4096 || cols > 4096) {
            throw new DatasetFormatException(source, 4, "positive dims (count, rows<=4096, cols<=4096)",
                    n + " x " + rows + " x " + cols);
        }
        long total = (long) n * rows * cols;
        if (total > Integer.MAX_VALUE - 8) {
            throw new DatasetFormatException(source, 4, "at most 2^31 pixels", total + " pixels");
        }
        byte[] px = in.readBytes(total, n + " images of " + rows + "x" + cols + " pixels");
        in.expectEof(n + " images");
        return new Images(n, rows, cols, px);
    }

    /** Reads an IDX label file, checking every label is in {@code [0, numClasses)}. */
    public static int[] readLabels(Path file, int numClasses) throws IOException {
        try (InputStream in = open(file)) {
            return readLabels(input(file, in), numClasses);
        }
    }

    /** Reads an IDX label file from a stream ({@code source} names it in errors). */
    public static int[] readLabels(InputStream stream, String source, int numClasses) throws IOException {
        return readLabels(new BinaryInput(stream, source), numClasses);
    }

    private static int[] readLabels(BinaryInput in, int numClasses) throws IOException {
        String source = in.source();
        int magic = in.readI32("IDX magic");
        if (magic != LABELS_MAGIC) {
            throw new DatasetFormatException(source, 0, "IDX label magic 0x00000801",
                    String.format("0x%08x", magic));
        }
        int n = in.readI32("label count");
        if (n < 0) throw new DatasetFormatException(source, 4, "non-negative label count", Integer.toString(n));
        byte[] raw = in.readBytes(n, n + " labels");
        in.expectEof(n + " labels");
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = raw[i] & 0xFF;
            if (labels[i] >= numClasses) {
                throw new DatasetFormatException(source, 8 + i, "label in [0," + numClasses + ")",
                        Integer.toString(labels[i]));
            }
        }
        return labels;
    }

    /**
     * Reads an image file and its label file into a single-channel {@link Dataset}, checking that the counts agree.
     */
    public static Dataset read(String name, Path images, Path labels, int numClasses) throws IOException {
        Images im = readImages(images);
        int[] y = readLabels(labels, numClasses);
        if (y.length != im.count()) {
            throw new DatasetFormatException(labels.toString(), 4, im.count() + " labels (as many as images in "
                    + images.getFileName() + ")", y.length + " labels");
        }
        return new Dataset(name, 1, im.rows(), im.cols(), numClasses, im.pixels(), y);
    }
}
