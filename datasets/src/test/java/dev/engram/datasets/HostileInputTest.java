package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile and corrupt inputs found by the reliability trials (issue 13): each must end in a
 * {@link DatasetFormatException} naming the file and an offset, without allocating what a header merely declares.
 */
class HostileInputTest {
    @TempDir Path dir;

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    // ------------------------------------------------------------------------------------------------------ IDX

    @Test
    void idxHugeDeclaredCountInATinyFileFailsWithoutAllocatingIt() throws IOException {
        for (int count : new int[] {0x7FFFFFFF, 0x7FFFFFF0}) {
            byte[] f = ByteBuffer.allocate(14).putInt(IdxReader.LABELS_MAGIC).putInt(count).array();
            Path raw = write("labels.idx", f);
            Path gz = write("labels.idx.gz", TestFiles.gzip(f));
            for (Path p : new Path[] {raw, gz}) {
                long before = allocated();
                assertThatThrownBy(() -> IdxReader.readLabels(p, 10)).isInstanceOf(DatasetFormatException.class)
                        .hasMessageContaining(p.toString())
                        .hasMessageContaining(count == 0x7FFFFFFF ? "offset 8" : "offset 14");
                assertThat(allocated() - before).as("bytes allocated for " + p).isLessThan(64L << 20);
            }
        }
    }

    @Test
    void idxCorruptGzipTrailerOrTruncatedStreamIsAFormatError() throws IOException {
        byte[] gz = TestFiles.gzip(TestFiles.idxLabels(new int[] {1, 2, 3}));
        byte[] crc = gz.clone();
        crc[crc.length - 6] ^= 1; // CRC-32 of the trailer
        Path c = write("crc.gz", crc);
        assertThatThrownBy(() -> IdxReader.readLabels(c, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(c.toString()).hasMessageContaining("offset").hasMessageContaining("ZipException");
        Path t = write("trunc.gz", Arrays.copyOf(gz, gz.length - 9));
        assertThatThrownBy(() -> IdxReader.readLabels(t, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(t.toString()).hasMessageContaining("EOFException");
        Path h = write("header.gz", Arrays.copyOf(gz, 5)); // gzip magic, header cut short
        assertThatThrownBy(() -> IdxReader.readLabels(h, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(h.toString()).hasMessageContaining("offset 0");
    }

    // ---------------------------------------------------------------------------------------------------- CIFAR

    private static byte[] cifarArchive() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        byte[] batch = new byte[Cifar10Reader.RECORD];
        batch[0] = 3;
        for (String f : Cifar10Reader.TRAIN_FILES) entries.put("cifar-10-batches-bin/" + f, batch);
        entries.put("cifar-10-batches-bin/" + Cifar10Reader.TEST_FILE, batch);
        return TestFiles.tar(entries);
    }

    @Test
    void cifarArchiveWithABadCrcOrTruncatedGzipIsRejected() throws IOException {
        byte[] gz = TestFiles.gzip(cifarArchive());
        assertThat(Cifar10Reader.readArchive(write("ok.tar.gz", gz)).train().size()).isEqualTo(5);
        byte[] crc = gz.clone();
        crc[crc.length - 7] ^= 0x10;
        Path c = write("crc.tar.gz", crc);
        assertThatThrownBy(() -> Cifar10Reader.readArchive(c)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(c.toString()).hasMessageContaining("ZipException");
        byte[] len = gz.clone();
        len[len.length - 2] ^= 0x01; // ISIZE
        Path l = write("isize.tar.gz", len);
        assertThatThrownBy(() -> Cifar10Reader.readArchive(l)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(l.toString());
        Path t = write("trunc.tar.gz", Arrays.copyOf(gz, gz.length - 4)); // the tar is complete, the trailer is not
        assertThatThrownBy(() -> Cifar10Reader.readArchive(t)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(t.toString());
    }

    @Test
    void tarNegativeBase256SizeIsAFormatError() throws IOException {
        byte[] tar = cifarArchive();
        Arrays.fill(tar, 124, 136, (byte) 0xFF); // base-256 -1
        int sum = 0;
        for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? 32 : tar[i] & 0xFF;
        byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, tar, 148, 6);
        tar[154] = 0;
        Path p = write("neg.tar.gz", TestFiles.gzip(tar));
        assertThatThrownBy(() -> Cifar10Reader.readArchive(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("offset 124").hasMessageContaining("negative");
    }

    // ------------------------------------------------------------------------------------------------------ MAT

    private static byte[] leInts(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    /** A miMATRIX whose real-part tag is given raw (type, declared bytes) followed by {@code data}. */
    private static byte[] matrixWithRealTag(int matClass, int[] dims, int type, long declared, byte[] data) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(TestFiles.element(MatReader.MI_UINT32, leInts(matClass, 0)));
        body.writeBytes(TestFiles.element(MatReader.MI_INT32, leInts(dims)));
        body.writeBytes(TestFiles.smallElement(MatReader.MI_INT8, "X".getBytes(StandardCharsets.US_ASCII)));
        body.writeBytes(leInts(type, (int) declared));
        body.writeBytes(data);
        return TestFiles.element(MatReader.MI_MATRIX, body.toByteArray());
    }

    @Test
    void matRealPartDeclaring2To31BytesIsAFormatError() throws IOException {
        Path p = write("big.mat", TestFiles.concat(TestFiles.matHeader(true),
                matrixWithRealTag(MatReader.MX_DOUBLE, new int[] {1 << 14, 1 << 14}, MatReader.MI_DOUBLE, 1L << 31, new byte[16])));
        long before = allocated();
        assertThatThrownBy(() -> MatReader.read(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("offset");
        assertThat(allocated() - before).isLessThan(64L << 20);
    }

    @Test
    void matDimensionProductOverflowingToZeroIsRejected() throws IOException {
        Path p = write("ovf.mat", TestFiles.concat(TestFiles.matHeader(true),
                TestFiles.matrix(MatReader.MX_UINT8, new int[] {1 << 16, 1 << 16, 1 << 16, 1 << 16}, "X",
                        MatReader.MI_UINT8, new byte[0], true)));
        assertThatThrownBy(() -> MatReader.read(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("product");
    }

    @Test
    void matSmallElementDeclaringMoreThanFourBytesIsRejected() throws IOException {
        byte[] m = TestFiles.matrix(MatReader.MX_DOUBLE, new int[] {1, 2}, "X", MatReader.MI_UINT8, new byte[2], true);
        // the name is a small element at body offset 8 + 16 + 8 + 8 = 40; declare 6 bytes in it
        int at = 8 + 40;
        ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (6 << 16) | MatReader.MI_INT8);
        Path p = write("small.mat", TestFiles.concat(TestFiles.matHeader(true), m));
        assertThatThrownBy(() -> MatReader.read(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("offset " + (128 + at))
                .hasMessageContaining("at most 4 bytes").hasMessageContaining("found 6 bytes");
    }

    @Test
    void matUint64AboveTwoTo63ReadsAsUnsigned() throws IOException {
        byte[] v = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(Long.MIN_VALUE).array();
        Path p = write("u64.mat", TestFiles.concat(TestFiles.matHeader(true),
                TestFiles.matrix(15, new int[] {2, 1}, "X", MatReader.MI_UINT64, v, true)));
        assertThat(MatReader.read(p).get("X").values()).containsExactly(0x1p64, 0x1p63);
    }

    @Test
    void matCorruptZlibIsAFormatErrorNamingTheFile() throws IOException {
        byte[] c = TestFiles.compressed(TestFiles.matrix(MatReader.MX_UINT8, new int[] {2, 3}, "X", MatReader.MI_UINT8,
                new byte[] {1, 2, 3, 4, 5, 6}, true));
        c[c.length - 2] ^= 0x40; // Adler-32
        Path p = write("z.mat", TestFiles.concat(TestFiles.matHeader(true), c));
        assertThatThrownBy(() -> MatReader.read(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("miCOMPRESSED");
    }

    // ------------------------------------------------------------------------------------------------------ NPY

    private static byte[] npy(String header, byte[] data) {
        byte[] h = (header + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) h.length).put(h).put(data);
        return b.array();
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    @Test
    void npyBadShapesAreFormatErrors() throws IOException {
        String[] shapes = {"(-5,)", "(5", "(4611686018427387909,)", "(5.0,)", "(5, 2)", "()", "5", "(99999999999999999999999,)"};
        for (String shape : shapes) {
            Path p = write("s.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", floats(1, 2, 3, 4, 5)));
            assertThatThrownBy(() -> NpyReader.readFloats(p)).as(shape).isInstanceOf(DatasetFormatException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("offset");
        }
    }

    @Test
    void npyHeaderIsParsedAsAPythonDict() throws IOException {
        byte[] data = floats(1, 2);
        // double quotes, Python 2 longs and odd spacing are what numpy accepts
        Path ok = write("ok.npy", npy("{\"descr\":'<f4' ,'shape':(2L,),'fortran_order':False}", data));
        assertThat(NpyReader.readFloats(ok)).containsExactly(1f, 2f);
        Path dup = write("dup.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), 'shape': (2,)}", data));
        assertThatThrownBy(() -> NpyReader.readFloats(dup)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("duplicate key 'shape'");
        // a key-like text inside a string value is just text
        Path str = write("str.npy", npy("{'descr': \"<f4', 'shape': (5,), 'x': '\", 'fortran_order': False, 'shape': (2,)}", data));
        assertThatThrownBy(() -> NpyReader.readFloats(str)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("dtype <f4");
        Path extra = write("extra.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape2': (5,)}", data));
        assertThatThrownBy(() -> NpyReader.readFloats(extra)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("keys");
    }

    @Test
    void npzWithANonUtf8EntryNameOrBadCrcIsAFormatError() throws IOException {
        byte[] arr = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", floats(1, 2));
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            ZipEntry e = new ZipEntry("scores.npy");
            e.setMethod(ZipEntry.STORED);
            e.setSize(arr.length);
            CRC32 crc = new CRC32();
            crc.update(arr);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(arr);
            z.closeEntry();
        }
        byte[] zip = bo.toByteArray();
        assertThat(NpyReader.readNpzFloats(write("ok.npz", zip), "scores")).containsExactly(1f, 2f);
        byte[] name = zip.clone();
        name[30] = (byte) 0xC3; // first byte of the local header's file name
        name[31] = (byte) 0x28;
        Path n = write("name.npz", name);
        assertThatThrownBy(() -> NpyReader.readNpzFloats(n, "scores")).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(n.toString());
        byte[] crc = zip.clone();
        crc[30 + "scores.npy".length() + arr.length - 1] ^= 1; // last data byte: the entry CRC no longer matches
        Path c = write("crc.npz", crc);
        assertThatThrownBy(() -> NpyReader.readNpzFloats(c, "scores")).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(c.toString()).hasMessageContaining("CRC");
    }
}
