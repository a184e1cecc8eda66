package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the CIFAR-10 binary version: batches {@code data_batch_1.bin} … {@code data_batch_5.bin} and
 * {@code test_batch.bin}, each a sequence of 3073-byte records (1 label byte in 0..9, then 1024 red, 1024 green,
 * 1024 blue bytes, each plane row-major 32×32 — already CHW). Reads either a directory of extracted batches or the
 * {@code cifar-10-binary.tar.gz} archive directly (the gzip CRC-32 and length are verified). Training examples are numbered in file order: batch 1 records
 * 0..9999, batch 2 10000..19999, and so on.
 */
public final class Cifar10Reader {
    /** Bytes per record (label + 3*32*32 pixels). */
    public static final int RECORD = 1 + 3 * 32 * 32;
    /** The training batch file names, in order. */
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    /** The test batch file name. */
    public static final String TEST_FILE = "test_batch.bin";

    private Cifar10Reader() { }

    /** Decodes one batch file's bytes into (pixels, labels) appended to the given buffers. */
    private static int decode(InputStream stream, String source, ByteArrayOutputStream px, List<int[]> labels)
            throws IOException {
        BinaryInput in = new BinaryInput(stream, source);
        byte[] rec = new byte[RECORD];
        int count = 0;
        while (true) {
            long at = in.offset();
            int n = in.readUpTo(rec, 0, RECORD);
            if (n == 0) break;
            if (n < RECORD) {
                throw new DatasetFormatException(source, at, "a complete " + RECORD + "-byte record (file length a"
                        + " multiple of " + RECORD + ")", "only " + n + " bytes (truncated record " + count + ")");
            }
            int label = rec[0] & 0xFF;
            if (label > 9) {
                throw new DatasetFormatException(source, at, "label byte in [0,9]", Integer.toString(label));
            }
            labels.add(new int[] {label});
            px.write(rec, 1, RECORD - 1);
            count++;
        }
        if (count == 0) throw new DatasetFormatException(source, 0, "at least one record", "empty file");
        return count;
    }

    private static Dataset build(String name, ByteArrayOutputStream px, List<int[]> labels) {
        int[] y = new int[labels.size()];
        for (int i = 0; i < y.length; i++) y[i] = labels.get(i)[0];
        return new Dataset(name, 3, 32, 32, 10, px.toByteArray(), y);
    }

    /** Reads the given batch files, concatenated in the order given. */
    public static Dataset readBatches(String name, List<Path> files) throws IOException {
        ByteArrayOutputStream px = new ByteArrayOutputStream();
        List<int[]> labels = new ArrayList<>();
        for (Path f : files) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                decode(in, f.toString(), px, labels);
            }
        }
        return build(name, px, labels);
    }

    /** Reads {@code dir/data_batch_1..5.bin} and {@code dir/test_batch.bin}. */
    public static TrainTest readDirectory(Path dir) throws IOException {
        List<Path> train = new ArrayList<>();
        for (String f : TRAIN_FILES) train.add(dir.resolve(f));
        return new TrainTest(readBatches("cifar10-train", train),
                readBatches("cifar10-test", List.of(dir.resolve(TEST_FILE))));
    }

    /**
     * Reads {@code cifar-10-binary.tar.gz} directly (entries {@code cifar-10-batches-bin/*.bin}); all six batch
     * files must be present.
     */
    public static TrainTest readArchive(Path tarGz) throws IOException {
        TreeMap<String, byte[]> found = new TreeMap<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(tarGz), 1 << 16)) {
            InputStream in;
            try {
                in = new GZIPInputStream(raw, 1 << 16);
            } catch (IOException e) {
                throw BinaryInput.wrap(tarGz.toString(), 0, "a gzip header", e);
            }
            TarReader tar = new TarReader(in, tarGz + " (tar inside gzip, decompressed offsets)");
            TarReader.Entry e;
            while ((e = tar.next()) != null) {
                if (!e.isFile()) continue;
                String base = e.name().substring(e.name().lastIndexOf('/') + 1);
                if (TRAIN_FILES.contains(base) || base.equals(TEST_FILE)) {
                    if (e.size() % RECORD != 0 || e.size() == 0) {
                        throw new DatasetFormatException(tarGz + "!" + e.name(), 0, "a positive multiple of " + RECORD
                                + " bytes (whole records)", e.size() + " bytes");
                    }
                    found.put(base, tar.readContent());
                }
            }
            tar.finish(); // reads to the end of the gzip stream, which verifies its CRC-32 and length
        }
        ByteArrayOutputStream px = new ByteArrayOutputStream();
        List<int[]> labels = new ArrayList<>();
        for (String f : TRAIN_FILES) {
            decode(new ByteArrayInputStream(require(found, f, tarGz)), tarGz + "!" + f, px, labels);
        }
        Dataset train = build("cifar10-train", px, labels);
        px = new ByteArrayOutputStream();
        labels = new ArrayList<>();
        decode(new ByteArrayInputStream(require(found, TEST_FILE, tarGz)), tarGz + "!" + TEST_FILE, px, labels);
        return new TrainTest(train, build("cifar10-test", px, labels));
    }

    private static byte[] require(TreeMap<String, byte[]> found, String f, Path archive) throws IOException {
        byte[] b = found.get(f);
        if (b == null) {
            throw new DatasetFormatException(archive.toString(), -1, "archive entry cifar-10-batches-bin/" + f,
                    "no such entry (entries found: " + found.keySet() + ")");
        }
        return b;
    }
}
