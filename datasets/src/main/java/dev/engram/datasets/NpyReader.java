package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Minimal reader for NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) holding a 1-D array of
 * {@code float32} ({@code <f4}/{@code >f4}) or {@code float64} ({@code <f8}/{@code >f8}), C order, and for
 * single arrays inside {@code .npz} archives (zip of {@code .npy}). Used to read C-scores (spec §1.3). The magic,
 * version, header dict ({@code descr}, {@code fortran_order}, {@code shape}) and exact payload length are
 * validated.
 */
public final class NpyReader {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() { }

    /** Reads a 1-D float32/float64 {@code .npy} file as floats. */
    public static float[] readFloats(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return readFloats(in, file.toString());
        }
    }

    /** Reads array {@code key} (file {@code key.npy}) of an {@code .npz} archive as floats. */
    public static float[] readNpzFloats(Path npz, String key) throws IOException {
        try (ZipInputStream z = new ZipInputStream(new BufferedInputStream(Files.newInputStream(npz)))) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                if (e.getName().equals(key + ".npy") || e.getName().equals(key)) {
                    return readFloats(z, npz + "!" + e.getName());
                }
            }
        }
        throw new DatasetFormatException(npz.toString(), -1, "an entry '" + key + ".npy'", "no such entry");
    }

    /** Reads a 1-D float32/float64 {@code .npy} stream as floats ({@code source} names it in errors). */
    public static float[] readFloats(InputStream stream, String source) throws IOException {
        BinaryInput in = new BinaryInput(stream, source);
        byte[] magic = new byte[6];
        in.readFully(magic, 0, 6, "NPY magic");
        if ((magic[0] & 0xFF) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new DatasetFormatException(source, 0, "NPY magic \\x93NUMPY", hex(magic));
        }
        int major = in.readU8("NPY major version");
        in.readU8("NPY minor version");
        in.bigEndian(false);
        long headerLen;
        if (major == 1) {
            headerLen = in.readU16("NPY header length");
        } else if (major == 2 || major == 3) {
            headerLen = in.readI32("NPY header length") & 0xFFFFFFFFL;
        } else {
            throw new DatasetFormatException(source, 6, "NPY major version 1, 2 or 3", Integer.toString(major));
        }
        if (headerLen > 1 << 20) {
            throw new DatasetFormatException(source, 8, "NPY header length <= 1 MiB", Long.toString(headerLen));
        }
        long headerAt = in.offset();
        byte[] hb = new byte[(int) headerLen];
        in.readFully(hb, 0, hb.length, "NPY header");
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher m = DESCR.matcher(header);
        if (!m.find()) throw new DatasetFormatException(source, headerAt, "'descr' in NPY header", header.trim());
        String descr = m.group(1);
        int size;
        ByteOrder order;
        switch (descr) {
            case "<f4" -> { size = 4; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f4" -> { size = 4; order = ByteOrder.BIG_ENDIAN; }
            case "<f8" -> { size = 8; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f8" -> { size = 8; order = ByteOrder.BIG_ENDIAN; }
            default -> throw new DatasetFormatException(source, headerAt, "dtype <f4, >f4, <f8 or >f8", "'" + descr + "'");
        }
        Matcher f = FORTRAN.matcher(header);
        if (!f.find()) {
            throw new DatasetFormatException(source, headerAt, "'fortran_order' in NPY header", header.trim());
        }
        Matcher s = SHAPE.matcher(header);
        if (!s.find()) throw new DatasetFormatException(source, headerAt, "'shape' in NPY header", header.trim());
        String[] parts = s.group(1).split(",");
        long n = -1;
        int dims = 0;
        for (String p : parts) {
            p = p.trim();
            if (p.isEmpty()) continue;
            dims++;
            n = Long.parseLong(p);
        }
        if (dims != 1) {
            throw new DatasetFormatException(source, headerAt, "a 1-D shape (N,)", "(" + s.group(1) + ")");
        }
        if (n * size > Integer.MAX_VALUE - 8) {
            throw new DatasetFormatException(source, headerAt, "at most 2^31 bytes of data", n * size + " bytes");
        }
        byte[] data = new byte[(int) (n * size)];
        in.readFully(data, 0, data.length, n + " elements of " + descr);
        in.expectEof(n + " elements of " + descr);
        ByteBuffer bb = ByteBuffer.wrap(data).order(order);
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) out[i] = size == 4 ? bb.getFloat(4 * i) : (float) bb.getDouble(8 * i);
        return out;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x ", x & 0xFF));
        return sb.toString().trim();
    }
}
