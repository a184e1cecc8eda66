package dev.engram.datasets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutation fuzzing of every dataset reader ({@link Fuzz}): a read either succeeds with a consistent result or fails
 * with a {@link DatasetFormatException} naming the file and an offset, within time and memory bounds. The default
 * build runs {@value Fuzz#DEFAULT_ITERATIONS} inputs per reader (at most {@value Fuzz#DEFAULT_SECONDS} s each);
 * {@code mvn -Pfuzz} runs the long campaign.
 */
class ReaderFuzzTest {
    @TempDir Path dir;

    private static int iterations() {
        return Fuzz.iterations(Fuzz.DEFAULT_ITERATIONS);
    }

    private static byte[] ramp(int n, int k) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + k);
        return b;
    }

    private static byte[] gzip(byte[] b) {
        try {
            return TestFiles.gzip(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean consistent(Dataset d) {
        return d.size() == d.labels().length;
    }

    @Test
    void idxImages() throws Exception {
        byte[] im = TestFiles.idxImages(3, 4, 5, ramp(60, 1));
        assertRan(Fuzz.run("idx-images", List.of(Fuzz.Seed.of(im), new Fuzz.Seed(im, ReaderFuzzTest::gzip)), dir, ".idx",
                iterations(), IdxReader::readImages,
                o -> o instanceof IdxReader.Images i && i.pixels().length == i.count() * i.rows() * i.cols(),
                Fuzz::formatException));
    }

    @Test
    void idxLabels() throws Exception {
        byte[] lb = TestFiles.idxLabels(new int[] {3, 0, 9, 4, 1});
        assertRan(Fuzz.run("idx-labels", List.of(Fuzz.Seed.of(lb), new Fuzz.Seed(lb, ReaderFuzzTest::gzip)), dir, ".idx",
                iterations(), f -> IdxReader.readLabels(f, 10),
                o -> o instanceof int[] y && java.util.Arrays.stream(y).allMatch(v -> v >= 0 && v < 10),
                Fuzz::formatException));
    }

    private static byte[] cifarBatch(int n, int label) {
        byte[] b = ramp(n * Cifar10Reader.RECORD, label);
        for (int i = 0; i < n; i++) b[i * Cifar10Reader.RECORD] = (byte) ((label + i) % 10);
        return b;
    }

    @Test
    void cifarBatch() throws Exception {
        assertRan(Fuzz.run("cifar-batch", List.of(Fuzz.Seed.of(cifarBatch(2, 3))), dir, ".bin", iterations(),
                f -> Cifar10Reader.readBatches("c", List.of(f)), o -> consistent((Dataset) o), Fuzz::formatException));
    }

    @Test
    void cifarTarGz() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("cifar-10-batches-bin/", new byte[0]);
        for (String f : Cifar10Reader.TRAIN_FILES) entries.put("cifar-10-batches-bin/" + f, cifarBatch(1, f.length()));
        entries.put("cifar-10-batches-bin/" + Cifar10Reader.TEST_FILE, cifarBatch(1, 7));
        byte[] tar = TestFiles.tar(entries);
        assertRan(Fuzz.run("cifar-tar.gz", List.of(new Fuzz.Seed(tar, ReaderFuzzTest::gzip)), dir, ".tar.gz", iterations(),
                Cifar10Reader::readArchive,
                o -> o instanceof TrainTest tt && consistent(tt.train()) && consistent(tt.test()),
                Fuzz::formatException));
    }

    private static byte[] matFile(byte[]... elements) {
        byte[][] parts = new byte[elements.length + 1][];
        parts[0] = TestFiles.matHeader(true);
        System.arraycopy(elements, 0, parts, 1, elements.length);
        return TestFiles.concat(parts);
    }

    @Test
    void mat() throws Exception {
        byte[] x = TestFiles.matrix(MatReader.MX_UINT8, new int[] {2, 3, 3, 2}, "X", MatReader.MI_UINT8, ramp(36, 2), true);
        byte[] y = TestFiles.matrix(MatReader.MX_DOUBLE, new int[] {2, 1}, "y", MatReader.MI_DOUBLE,
                TestFiles.doubles(new double[] {10, 3}), true);
        byte[] u64 = TestFiles.matrix(15, new int[] {1, 2}, "big_name_u64", MatReader.MI_UINT64, ramp(16, 5), false);
        List<Fuzz.Seed> seeds = List.of(Fuzz.Seed.of(matFile(x, y, u64)),
                Fuzz.Seed.of(matFile(TestFiles.compressed(x), TestFiles.compressed(y))),
                new Fuzz.Seed(x, e -> matFile(TestFiles.compressed(e), TestFiles.compressed(y))));
        assertRan(Fuzz.run("mat", seeds, dir, ".mat", iterations(), MatReader::read, o -> o instanceof Map<?, ?>,
                Fuzz::formatException));
        assertRan(Fuzz.run("mat-svhn", seeds, dir, ".mat", iterations(), f -> MatReader.readSvhn(f, "svhn"),
                o -> consistent((Dataset) o), Fuzz::formatException));
    }

    private static byte[] npy(int version, String descr, int n) {
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + n + ",), }";
        int pre = version == 1 ? 10 : 12;
        header = header + " ".repeat((64 - (pre + header.length() + 1) % 64) % 64) + "\n";
        int size = descr.endsWith("8") ? 8 : 4;
        ByteBuffer b = ByteBuffer.allocate(pre + header.length() + n * size).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes()).put((byte) version).put((byte) 0);
        if (version == 1) b.putShort((short) header.length());
        else b.putInt(header.length());
        b.put(header.getBytes());
        for (int i = 0; i < n; i++) {
            if (size == 8) b.putDouble(i / 8.0);
            else b.putFloat(i / 4f);
        }
        return b.array();
    }

    @Test
    void npy() throws Exception {
        assertRan(Fuzz.run("npy", List.of(Fuzz.Seed.of(npy(1, "<f4", 3)), Fuzz.Seed.of(npy(2, ">f8", 2)), Fuzz.Seed.of(npy(3, "<f8", 1))),
                dir, ".npy", iterations(), NpyReader::readFloats, o -> o instanceof float[], Fuzz::formatException));
    }

    private static byte[] zip(byte[] npy, boolean stored) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            z.putNextEntry(new ZipEntry("other.npy"));
            z.write(new byte[] {1, 2, 3});
            z.closeEntry();
            ZipEntry e = new ZipEntry("scores.npy");
            if (stored) {
                e.setMethod(ZipEntry.STORED);
                e.setSize(npy.length);
                CRC32 crc = new CRC32();
                crc.update(npy);
                e.setCrc(crc.getValue());
            }
            z.putNextEntry(e);
            z.write(npy);
            z.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }

    @Test
    void npz() throws Exception {
        byte[] a = npy(1, "<f4", 4);
        assertRan(Fuzz.run("npz", List.of(new Fuzz.Seed(a, b -> zip(b, true)), new Fuzz.Seed(a, b -> zip(b, false))), dir, ".npz",
                iterations(), f -> NpyReader.readNpzFloats(f, "scores"), o -> o instanceof float[], Fuzz::formatException));
    }

    /** Every input was either read consistently or refused with the documented exception (Fuzz.run fails otherwise). */
    private static void assertRan(Fuzz.Summary s) {
        assertThat(s.inputs()).as(s.toString()).isGreaterThanOrEqualTo(iterations());
        assertThat(s.reads() + s.rejections()).as(s.toString()).isEqualTo(s.inputs());
        assertThat(s.reads()).as("the valid seed files read: " + s).isPositive();
        assertThat(s.rejections()).as("mutations refused: " + s).isPositive();
    }
}
