package dev.engram.datasets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** Writers for the real file formats, used to build small test inputs. */
final class TestFiles {
    private TestFiles() { }

    static byte[] idxImages(int n, int rows, int cols, byte[] px) {
        ByteBuffer b = ByteBuffer.allocate(16 + px.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols).put(px);
        return b.array();
    }

    static byte[] idxLabels(int[] y) {
        ByteBuffer b = ByteBuffer.allocate(8 + y.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(y.length);
        for (int v : y) b.put((byte) v);
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(data);
        }
        return bo.toByteArray();
    }

    /** A ustar archive with the given entries (insertion order). */
    static byte[] tar(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (var e : entries.entrySet()) {
            byte[] h = new byte[512];
            put(h, 0, e.getKey());
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", e.getValue().length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            h[263] = '0';
            h[264] = '0';
            for (int i = 148; i < 156; i++) h[i] = ' ';
            int sum = 0;
            for (byte x : h) sum += x & 0xFF;
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            h[155] = ' ';
            out.writeBytes(h);
            out.writeBytes(e.getValue());
            out.writeBytes(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    // ---------------------------------------------------------------------------------------------- MAT v5

    static byte[] matHeader(boolean littleEndian) {
        byte[] h = new byte[128];
        byte[] text = "MATLAB 5.0 MAT-file, written by Engram tests".getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(h, 0, 116, (byte) ' ');
        System.arraycopy(text, 0, h, 0, text.length);
        if (littleEndian) {
            h[124] = 0x00;
            h[125] = 0x01;
            h[126] = 'I';
            h[127] = 'M';
        } else {
            h[124] = 0x01;
            h[125] = 0x00;
            h[126] = 'M';
            h[127] = 'I';
        }
        return h;
    }

    /** Little-endian data element with padding to 8 bytes. */
    static byte[] element(int type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length + (8 - data.length % 8) % 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(data.length).put(data);
        return b.array();
    }

    /** Little-endian small data element (at most 4 bytes of data). */
    static byte[] smallElement(int type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((data.length << 16) | type).put(data);
        return b.array();
    }

    /** miMATRIX element (little-endian) with class, dims, name and real data stored as {@code storageType}. */
    static byte[] matrix(int matClass, int[] dims, String name, int storageType, byte[] real, boolean smallName) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteBuffer flags = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(matClass).putInt(0);
        body.writeBytes(element(MatReader.MI_UINT32, flags.array()));
        ByteBuffer d = ByteBuffer.allocate(4 * dims.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : dims) d.putInt(x);
        body.writeBytes(element(MatReader.MI_INT32, d.array()));
        byte[] nb = name.getBytes(StandardCharsets.US_ASCII);
        body.writeBytes(smallName && nb.length <= 4 ? smallElement(MatReader.MI_INT8, nb) : element(MatReader.MI_INT8, nb));
        body.writeBytes(element(storageType, real));
        return element(MatReader.MI_MATRIX, body.toByteArray());
    }

    static byte[] compressed(byte[] element) {
        Deflater def = new Deflater();
        def.setInput(element);
        def.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!def.finished()) z.write(buf, 0, def.deflate(buf));
        def.end();
        byte[] zb = z.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(8 + zb.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MatReader.MI_COMPRESSED).putInt(zb.length).put(zb);
        return b.array();
    }

    static byte[] doubles(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
