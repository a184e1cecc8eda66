package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    @TempDir Path dir;

    private static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 3);
        return b;
    }

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    // ------------------------------------------------------------------------------------------------------ IDX

    @Test
    void idxRawAndGzipGiveTheSameExactPixels() throws IOException {
        byte[] px = ramp(3 * 4 * 5);
        int[] y = {3, 0, 9};
        for (boolean gz : new boolean[] {false, true}) {
            byte[] im = TestFiles.idxImages(3, 4, 5, px), lb = TestFiles.idxLabels(y);
            Path pi = write("im" + gz, gz ? TestFiles.gzip(im) : im);
            Path pl = write("lb" + gz, gz ? TestFiles.gzip(lb) : lb);
            Dataset d = IdxReader.read("t", pi, pl, 10);
            assertThat(d.size()).isEqualTo(3);
            assertThat(d.channels()).isEqualTo(1);
            assertThat(d.height()).isEqualTo(4);
            assertThat(d.width()).isEqualTo(5);
            assertThat(d.labels()).containsExactly(3, 0, 9);
            // image 2, row 3, col 4 is byte 2*20 + 3*5 + 4
            assertThat(d.pixel(2, 0, 3, 4)).isEqualTo(px[2 * 20 + 3 * 5 + 4] & 0xFF);
            assertThat(d.pixel(1, 0, 0, 1)).isEqualTo(px[20 + 1] & 0xFF);
            float[] f = new float[20];
            d.copyImageAsFloat(1, f, 0, Normalization.PAPER);
            assertThat(f[7]).isEqualTo(((px[27] & 0xFF) / 255f - 0.5f) / 0.5f);
        }
    }

    @Test
    void idxWrongMagicNamesFileOffsetExpectedAndFound() throws IOException {
        byte[] lb = TestFiles.idxLabels(new int[] {1, 2});
        Path p = write("labels-as-images", lb);
        assertThatThrownBy(() -> IdxReader.readImages(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("offset 0")
                .hasMessageContaining("0x00000803").hasMessageContaining("0x00000801");
    }

    @Test
    void idxTruncatedImagesReportOffsetOfTheShortRead() throws IOException {
        byte[] im = TestFiles.idxImages(2, 3, 3, ramp(18));
        Path p = write("trunc", Arrays.copyOf(im, im.length - 5));
        assertThatThrownBy(() -> IdxReader.readImages(p)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("offset 29")
                .hasMessageContaining("18 bytes").hasMessageContaining("truncated");
        Path g = write("trunc.gz", TestFiles.gzip(Arrays.copyOf(im, 10)));
        assertThatThrownBy(() -> IdxReader.readImages(g)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("gzip").hasMessageContaining("offset 10").hasMessageContaining("row count");
    }

    @Test
    void idxTrailingBytesBadDimsAndLabelRangeAreRejected() throws IOException {
        byte[] im = TestFiles.idxImages(1, 2, 2, ramp(4));
        Path extra = write("extra", TestFiles.concat(im, new byte[] {1, 2}));
        assertThatThrownBy(() -> IdxReader.readImages(extra)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 20").hasMessageContaining("2 trailing byte(s)");
        ByteBuffer bad = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putInt(0x803).putInt(1).putInt(0).putInt(5);
        Path zero = write("zero", bad.array());
        assertThatThrownBy(() -> IdxReader.readImages(zero)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("positive dims").hasMessageContaining("1 x 0 x 5");
        Path lb = write("lb", TestFiles.idxLabels(new int[] {1, 12}));
        assertThatThrownBy(() -> IdxReader.readLabels(lb, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 9").hasMessageContaining("[0,10)").hasMessageContaining("found 12");
        Path pi = write("im", im);
        Path l2 = write("l2", TestFiles.idxLabels(new int[] {1, 2}));
        assertThatThrownBy(() -> IdxReader.read("x", pi, l2, 10)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("1 labels").hasMessageContaining("found 2 labels");
    }

    // ---------------------------------------------------------------------------------------------------- CIFAR

    private static byte[] cifarBatch(int n, int labelBase) {
        byte[] b = new byte[n * Cifar10Reader.RECORD];
        for (int i = 0; i < n; i++) {
            int o = i * Cifar10Reader.RECORD;
            b[o] = (byte) ((labelBase + i) % 10);
            for (int k = 1; k < Cifar10Reader.RECORD; k++) b[o + k] = (byte) (k * 31 + i * 5 + labelBase);
        }
        return b;
    }

    @Test
    void cifarBinaryBatchesPlaceChannelsRowsAndColumnsExactly() throws IOException {
        Path f1 = write("data_batch_1.bin", cifarBatch(2, 0));
        Path f2 = write("data_batch_2.bin", cifarBatch(3, 4));
        Dataset d = Cifar10Reader.readBatches("c", java.util.List.of(f1, f2));
        assertThat(d.size()).isEqualTo(5);
        assertThat(d.labels()).containsExactly(0, 1, 4, 5, 6);
        // example 3 = record 1 of batch 2; green (c=1) row 5 col 7 at record byte 1 + 1024 + 5*32 + 7
        int k = 1 + 1024 + 5 * 32 + 7;
        assertThat(d.pixel(3, 1, 5, 7)).isEqualTo((byte) (k * 31 + 5 + 4) & 0xFF);
        assertThat(d.pixel(0, 2, 31, 31)).isEqualTo((byte) (3072 * 31) & 0xFF);
    }

    @Test
    void cifarTarGzArchiveIsReadDirectlyInBatchOrder() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("cifar-10-batches-bin/", new byte[0]);
        entries.put("cifar-10-batches-bin/test_batch.bin", cifarBatch(2, 7));
        for (int i = 5; i >= 1; i--) entries.put("cifar-10-batches-bin/data_batch_" + i + ".bin", cifarBatch(1, i));
        entries.put("cifar-10-batches-bin/batches.meta.txt", "airplane\n".getBytes());
        Path tgz = write("cifar-10-binary.tar.gz", TestFiles.gzip(TestFiles.tar(entries)));
        TrainTest tt = Cifar10Reader.readArchive(tgz);
        assertThat(tt.train().labels()).containsExactly(1, 2, 3, 4, 5);
        assertThat(tt.test().labels()).containsExactly(7, 8);
        assertThat(tt.train().pixel(2, 0, 0, 0)).isEqualTo((byte) (31 + 3) & 0xFF);
    }

    @Test
    void cifarTruncatedRecordAndBadLabelAreRejected() throws IOException {
        byte[] b = cifarBatch(2, 0);
        Path t = write("data_batch_1.bin", Arrays.copyOf(b, b.length - 100));
        assertThatThrownBy(() -> Cifar10Reader.readBatches("c", java.util.List.of(t)))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining(t.toString())
                .hasMessageContaining("offset 3073").hasMessageContaining("2973 bytes");
        b[3073] = 11;
        Path l = write("bad.bin", b);
        assertThatThrownBy(() -> Cifar10Reader.readBatches("c", java.util.List.of(l)))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("offset 3073")
                .hasMessageContaining("[0,9]").hasMessageContaining("found 11");
    }

    @Test
    void cifarArchiveMissingEntryAndCorruptTarHeaderAreRejected() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("cifar-10-batches-bin/data_batch_1.bin", cifarBatch(1, 0));
        Path tgz = write("a.tar.gz", TestFiles.gzip(TestFiles.tar(entries)));
        assertThatThrownBy(() -> Cifar10Reader.readArchive(tgz)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("data_batch_2.bin");
        byte[] tar = TestFiles.tar(entries);
        tar[10] ^= 0x55; // corrupt the name: checksum no longer matches
        Path bad = write("b.tar.gz", TestFiles.gzip(tar));
        assertThatThrownBy(() -> Cifar10Reader.readArchive(bad)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 148").hasMessageContaining("checksum");
    }

    // ------------------------------------------------------------------------------------------------------ MAT

    /** SVHN-like X [H,W,C,N] column-major: value encodes (r,c,ch,n). */
    private static byte[] svhnX(int h, int w, int c, int n) {
        byte[] x = new byte[h * w * c * n];
        for (int img = 0; img < n; img++)
            for (int ch = 0; ch < c; ch++)
                for (int col = 0; col < w; col++)
                    for (int r = 0; r < h; r++)
                        x[r + h * (col + w * (ch + c * img))] = (byte) (r + 10 * col + 60 * ch + 100 * img);
        return x;
    }

    @Test
    void matCompressedSvhnIsConvertedFromColumnMajorToNchw() throws IOException {
        int h = 5, w = 6, c = 3, n = 2;
        byte[] file = TestFiles.concat(TestFiles.matHeader(true),
                TestFiles.compressed(TestFiles.matrix(MatReader.MX_UINT8, new int[] {h, w, c, n}, "X",
                        MatReader.MI_UINT8, svhnX(h, w, c, n), true)),
                TestFiles.compressed(TestFiles.matrix(MatReader.MX_DOUBLE, new int[] {n, 1}, "y",
                        MatReader.MI_DOUBLE, TestFiles.doubles(new double[] {10, 3}), true)));
        Path p = write("svhn.mat", file);
        Dataset d = MatReader.readSvhn(p, "svhn");
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.channels()).isEqualTo(3);
        assertThat(d.height()).isEqualTo(5);
        assertThat(d.width()).isEqualTo(6);
        assertThat(d.labels()).containsExactly(0, 3);
        for (int img = 0; img < n; img++)
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < h; r++)
                    for (int col = 0; col < w; col++)
                        assertThat(d.pixel(img, ch, r, col)).isEqualTo((r + 10 * col + 60 * ch + 100 * img) & 0xFF);
        byte[] raw = new byte[c * h * w];
        d.copyImage(1, raw, 0);
        assertThat(raw[(2 * h + 4) * w + 5] & 0xFF).isEqualTo((4 + 50 + 120 + 100) & 0xFF);
    }

    @Test
    void matUncompressedWithLongNamesAndDoubleStoredAsUint8() throws IOException {
        byte[] file = TestFiles.concat(TestFiles.matHeader(true),
                TestFiles.matrix(MatReader.MX_DOUBLE, new int[] {3, 1}, "labels_long", MatReader.MI_UINT8,
                        new byte[] {1, 10, 7}, false),
                TestFiles.matrix(MatReader.MX_UINT8, new int[] {2, 2}, "img", MatReader.MI_UINT8,
                        new byte[] {1, 2, 3, 4}, false));
        Map<String, MatReader.MatArray> m = MatReader.read(write("u.mat", file));
        assertThat(m.keySet()).containsExactly("labels_long", "img");
        assertThat(m.get("labels_long").values()).containsExactly(1.0, 10.0, 7.0);
        assertThat(m.get("img").bytes()).containsExactly(1, 2, 3, 4);
        assertThat(m.get("img").dims()).containsExactly(2, 2);
    }

    @Test
    void matBadHeaderWrongSizeAndUnsupportedClassAreRejected() throws IOException {
        byte[] hdr = TestFiles.matHeader(true);
        hdr[126] = 'X';
        Path e = write("e.mat", hdr);
        assertThatThrownBy(() -> MatReader.read(e)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 126").hasMessageContaining("'IM' or 'MI'");
        byte[] v73 = TestFiles.matHeader(true);
        v73[125] = 0x02;
        Path v = write("v.mat", v73);
        assertThatThrownBy(() -> MatReader.read(v)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 124").hasMessageContaining("0x0200");
        Path size = write("s.mat", TestFiles.concat(TestFiles.matHeader(true), TestFiles.compressed(
                TestFiles.matrix(MatReader.MX_UINT8, new int[] {2, 3}, "X", MatReader.MI_UINT8, new byte[5], true))));
        assertThatThrownBy(() -> MatReader.read(size)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("miCOMPRESSED").hasMessageContaining("6 bytes of real data")
                .hasMessageContaining("found 5 bytes");
        Path chr = write("c.mat", TestFiles.concat(TestFiles.matHeader(true), TestFiles.compressed(
                TestFiles.matrix(4, new int[] {1, 2}, "X", MatReader.MI_UINT8, new byte[2], true))));
        assertThatThrownBy(() -> MatReader.read(chr, Set.of("X"))).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("numeric MAT class").hasMessageContaining("class 4");
        byte[] ok = TestFiles.concat(TestFiles.matHeader(true), TestFiles.compressed(
                TestFiles.matrix(MatReader.MX_UINT8, new int[] {2, 3}, "X", MatReader.MI_UINT8, new byte[6], true)));
        Path tr = write("t.mat", Arrays.copyOf(ok, ok.length - 4));
        assertThatThrownBy(() -> MatReader.read(tr)).isInstanceOf(IOException.class);
    }

    // ------------------------------------------------------------------------------------------------------ NPY

    static byte[] npy(String descr, int n, ByteBuffer data) {
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + n + ",), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes()).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes()).put(data.array());
        return b.array();
    }

    @Test
    void npyFloat32AndFloat64AndValidation() throws IOException {
        ByteBuffer f4 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.25f).putFloat(0.75f).putFloat(0.5f);
        assertThat(NpyReader.readFloats(write("a.npy", npy("<f4", 3, f4)))).containsExactly(0.25f, 0.75f, 0.5f);
        ByteBuffer f8 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(0.9);
        assertThat(NpyReader.readFloats(write("b.npy", npy("<f8", 2, f8)))).containsExactly(0.1f, 0.9f);
        byte[] trunc = npy("<f8", 3, f8);
        Path t = write("t.npy", trunc);
        assertThatThrownBy(() -> NpyReader.readFloats(t)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("truncated").hasMessageContaining("offset 144").hasMessageContaining("24 bytes");
        Path i8 = write("i.npy", npy("<i8", 2, f8));
        assertThatThrownBy(() -> NpyReader.readFloats(i8)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("'<i8'");
        byte[] bad = npy("<f4", 3, f4);
        bad[1] = 'X';
        Path m = write("m.npy", bad);
        assertThatThrownBy(() -> NpyReader.readFloats(m)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("offset 0").hasMessageContaining("NUMPY");
    }
}
