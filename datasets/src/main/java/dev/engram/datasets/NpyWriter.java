package dev.engram.datasets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes NumPy {@code .npy} files (format 1.0, C order, little-endian) and {@code .npz} archives of them, as
 * {@code np.save} / {@code np.savez} do; {@link NpyReader} reads them back. Meant for small arrays (tests, exported
 * tables, a dataset handed to {@link NpyDatasetReader}).
 */
public final class NpyWriter {
    private NpyWriter() { }

    /** The bytes of an {@code .npy} file with dtype {@code descr} (e.g. {@code |u1}, {@code <f4}) and the payload. */
    public static byte[] npy(String descr, long[] shape, byte[] payload) {
        StringBuilder sh = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sh.append(i > 0 ? ", " : "").append(shape[i]);
        sh.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        int len = header.length();
        out.write(len & 0xFF);
        out.write(len >>> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** An uint8 array. */
    public static byte[] uint8(long[] shape, byte[] v) {
        return npy("|u1", shape, v);
    }

    /** A float32 array. */
    public static byte[] float32(long[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return npy("<f4", shape, b.array());
    }

    /** An int64 array. */
    public static byte[] int64(long[] shape, long[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return npy("<i8", shape, b.array());
    }

    /** An int64 vector of {@code labels}. */
    public static byte[] labels(int[] labels) {
        long[] v = new long[labels.length];
        for (int i = 0; i < v.length; i++) v[i] = labels[i];
        return int64(new long[] {v.length}, v);
    }

    /** Writes an {@code .npz} archive with one entry {@code key.npy} per map entry (uncompressed bytes, deflated). */
    public static void npz(Path file, Map<String, byte[]> arrays) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (var e : arrays.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }
}
