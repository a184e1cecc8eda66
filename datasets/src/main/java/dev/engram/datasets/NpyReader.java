package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Minimal reader for NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) holding a 1-D array of
 * {@code float32} ({@code <f4}/{@code >f4}) or {@code float64} ({@code <f8}/{@code >f8}), C order, and for
 * single arrays inside {@code .npz} archives (zip of {@code .npy}). Used to read C-scores (docs/methods.md §1.3). The magic,
 * version and exact payload length are validated; the header is parsed as the Python dict literal it is (exactly
 * the keys {@code descr}, {@code fortran_order} and {@code shape}, none twice), the element count is computed with
 * overflow checks and compared with the bytes available before anything is allocated, and an {@code .npz} entry's
 * CRC-32 is verified. Every defect, including a corrupt zip structure, is a {@link DatasetFormatException} naming
 * the file and the byte offset.
 */
public final class NpyReader {
    private static final long MAX_HEADER = 1 << 20;

    private NpyReader() { }

    /** Reads a 1-D float32/float64 {@code .npy} file as floats. */
    public static float[] readFloats(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return read(new BinaryInput(in, file.toString()).length(Files.size(file)));
        }
    }

    /** Reads array {@code key} (file {@code key.npy}) of an {@code .npz} archive as floats. */
    public static float[] readNpzFloats(Path npz, String key) throws IOException {
        requireZip(npz);
        CountingInputStream raw = new CountingInputStream(new BufferedInputStream(Files.newInputStream(npz)));
        try (ZipInputStream z = new ZipInputStream(raw)) {
            ZipEntry e;
            while ((e = nextEntry(z, raw, npz)) != null) {
                if (e.getName().equals(key + ".npy") || e.getName().equals(key)) {
                    return readFloats(z, npz + "!" + e.getName());
                }
            }
        } catch (IllegalArgumentException e) {
            // ZipInputStream reports some malformed headers this way
            throw new DatasetFormatException(npz.toString(), raw.count, "a well-formed zip entry",
                    "a corrupt zip structure (" + e.getMessage() + ")", e);
        }
        throw new DatasetFormatException(npz.toString(), raw.count, "an entry '" + key + ".npy'", "no such entry");
    }

    /**
     * An {@code .npz} is a zip archive: other bytes are refused as such here, since a zip reader would see an archive
     * without entries and every key would be reported missing.
     */
    private static void requireZip(Path npz) throws IOException {
        byte[] head = new byte[4];
        int got;
        try (java.io.InputStream in = Files.newInputStream(npz)) {
            got = in.readNBytes(head, 0, 4);
        }
        boolean zip = got == 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6);
        if (!zip) {
            throw new DatasetFormatException(npz.toString(), 0, "a zip archive of .npy arrays (an .npz as np.savez writes)",
                    got == 0 ? "an empty file" : "other bytes");
        }
    }

    private static ZipEntry nextEntry(ZipInputStream z, CountingInputStream raw, Path npz) throws IOException {
        try {
            return z.getNextEntry();
        } catch (IllegalArgumentException e) { // an entry name that is not valid UTF-8
            throw new DatasetFormatException(npz.toString(), raw.count, "a zip entry name in UTF-8",
                    "a malformed name (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw BinaryInput.wrap(npz.toString(), raw.count, "a zip entry header", e);
        }
    }

    /** Counts the bytes read from the archive, to place zip errors (approximately: the reader buffers ahead). */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }

    /** Reads a 1-D float32/float64 {@code .npy} stream as floats ({@code source} names it in errors). */
    public static float[] readFloats(InputStream stream, String source) throws IOException {
        try {
            return read(new BinaryInput(stream, source));
        } catch (IllegalArgumentException e) { // ZipInputStream on a malformed entry
            throw new DatasetFormatException(source, -1, "a well-formed stream", "a corrupt one (" + e.getMessage() + ")", e);
        }
    }

    private static float[] read(BinaryInput in) throws IOException {
        Array a = readArray(in, false);
        float[] out = new float[(int) a.count()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i);
        return out;
    }

    /**
     * An n-dimensional array of an {@code .npy} file: its dtype ({@code descr}), shape (C order) and payload.
     * Element {@code i} (row-major) is {@link #get(long)}.
     *
     * @param descr  NumPy dtype string, e.g. {@code |u1}, {@code <f4}, {@code <i8}
     * @param shape  dimensions (C order)
     * @param data   payload in the file's byte order
     * @param source the file (and entry) name, for messages
     */
    public record Array(String descr, long[] shape, ByteBuffer data, String source) {
        /** Number of elements. */
        public long count() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Bytes per element. */
        public int itemSize() {
            return descr.charAt(2) - '0';
        }

        /** True for an unsigned or signed integer dtype. */
        public boolean isInteger() {
            return descr.charAt(1) == 'u' || descr.charAt(1) == 'i';
        }

        /** True for dtype uint8. */
        public boolean isUint8() {
            return descr.substring(1).equals("u1");
        }

        /** Element {@code i} (row-major) as a double (exact for every integer below 2^53 and every float). */
        public double get(long i) {
            int k = (int) i * itemSize();
            return switch (descr.substring(1)) {
                case "u1" -> data.get(k) & 0xFF;
                case "i1" -> data.get(k);
                case "u2" -> data.getShort(k) & 0xFFFF;
                case "i2" -> data.getShort(k);
                case "u4" -> data.getInt(k) & 0xFFFFFFFFL;
                case "i4" -> data.getInt(k);
                case "u8", "i8" -> (double) data.getLong(k);
                case "f4" -> data.getFloat(k);
                case "f8" -> data.getDouble(k);
                default -> throw new IllegalStateException(descr);
            };
        }

        /** Element {@code i} of an integer array as a long ({@code u8} above 2^63 wraps). */
        public long getLong(long i) {
            int k = (int) i * itemSize();
            return switch (descr.substring(1)) {
                case "u1" -> data.get(k) & 0xFF;
                case "i1" -> data.get(k);
                case "u2" -> data.getShort(k) & 0xFFFF;
                case "i2" -> data.getShort(k);
                case "u4" -> data.getInt(k) & 0xFFFFFFFFL;
                case "i4" -> data.getInt(k);
                case "u8", "i8" -> data.getLong(k);
                default -> throw new IllegalStateException(descr + " is not an integer dtype");
            };
        }

        /** The shape as text, e.g. {@code (100, 3, 8, 8)}. */
        public String shapeText() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    /** Dtypes {@link #readArray(Path)} takes: integers of 1, 2, 4 and 8 bytes and float32/float64, either byte order. */
    public static final Set<String> ARRAY_DTYPES = Set.of("|u1", "|i1", "<u1", "<i1", ">u1", ">i1", "<u2", ">u2",
            "<i2", ">i2", "<u4", ">u4", "<i4", ">i4", "<u8", ">u8", "<i8", ">i8", "<f4", ">f4", "<f8", ">f8");

    /** Reads an n-dimensional array (C order, a dtype of {@link #ARRAY_DTYPES}) from an {@code .npy} file. */
    public static Array readArray(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return readArray(new BinaryInput(in, file.toString()).length(Files.size(file)), true);
        }
    }

    /**
     * Reads the arrays {@code keys} (entries {@code key.npy}) of an {@code .npz} archive; keys absent from the
     * archive are absent from the map. Entries are read as {@link #readArray(Path)} reads a file.
     */
    public static Map<String, Array> readNpzArrays(Path npz, Set<String> keys) throws IOException {
        requireZip(npz);
        Map<String, Array> found = new java.util.LinkedHashMap<>();
        CountingInputStream raw = new CountingInputStream(new BufferedInputStream(Files.newInputStream(npz)));
        try (ZipInputStream z = new ZipInputStream(raw)) {
            ZipEntry e;
            while ((e = nextEntry(z, raw, npz)) != null) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                if (keys.contains(name) && !found.containsKey(name)) {
                    String src = npz + "!" + e.getName();
                    try {
                        found.put(name, readArray(new BinaryInput(z, src), true));
                    } catch (IllegalArgumentException ex) {
                        throw new DatasetFormatException(src, -1, "a well-formed stream", "a corrupt one ("
                                + ex.getMessage() + ")", ex);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw new DatasetFormatException(npz.toString(), raw.count, "a well-formed zip entry",
                    "a corrupt zip structure (" + e.getMessage() + ")", e);
        }
        return found;
    }

    private static Array readArray(BinaryInput in, boolean nd) throws IOException {
        String source = in.source();
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
        if (headerLen > MAX_HEADER) {
            throw new DatasetFormatException(source, 8, "NPY header length <= 1 MiB", Long.toString(headerLen));
        }
        long headerAt = in.offset();
        byte[] hb = in.readBytes(headerLen, "NPY header");
        String header;
        try {
            header = (major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(hb)).toString();
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(source, headerAt, "an NPY header in " + (major == 3 ? "UTF-8" : "Latin-1"),
                    "malformed text (" + e + ")", e);
        }
        Map<?, ?> dict;
        try {
            Object v = PyLiteral.parse(header);
            if (!(v instanceof Map<?, ?> m)) {
                throw new DatasetFormatException(source, headerAt, "an NPY header dict", abbreviate(header));
            }
            dict = m;
        } catch (PyLiteral.SyntaxError e) {
            throw new DatasetFormatException(source, headerAt + e.index, "an NPY header that is a Python dict literal",
                    e.getMessage() + " in " + abbreviate(header), e);
        }
        if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
            throw new DatasetFormatException(source, headerAt, "NPY header keys 'descr', 'fortran_order', 'shape'",
                    "keys " + dict.keySet().stream().map(PyLiteral::repr).toList());
        }
        String dtypes = nd ? "an integer (u1..i8) or float (f4, f8) dtype" : "<f4, >f4, <f8 or >f8";
        if (!(dict.get("descr") instanceof String descr)) {
            throw new DatasetFormatException(source, headerAt, "'descr' a dtype string (" + dtypes + ")",
                    PyLiteral.repr(dict.get("descr")));
        }
        if (nd ? !ARRAY_DTYPES.contains(descr) : !Set.of("<f4", ">f4", "<f8", ">f8").contains(descr)) {
            throw new DatasetFormatException(source, headerAt, nd ? dtypes : "dtype " + dtypes, "'" + descr + "'");
        }
        int size = descr.charAt(2) - '0';
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new DatasetFormatException(source, headerAt, "'fortran_order' True or False",
                    PyLiteral.repr(dict.get("fortran_order")));
        }
        Object shape = dict.get("shape");
        if (!(shape instanceof List<?> dims) || (!nd && dims.size() != 1)
                || !dims.stream().allMatch(x -> x instanceof BigInteger)) {
            throw new DatasetFormatException(source, headerAt, nd ? "a shape tuple of integers" : "a 1-D shape (N,)",
                    PyLiteral.repr(shape));
        }
        if (nd && fortran && dims.size() > 1) {
            throw new DatasetFormatException(source, headerAt, "C order (fortran_order False; save with"
                    + " np.ascontiguousarray)", "fortran_order True");
        }
        long[] dimsOut = new long[dims.size()];
        long n = 1;
        for (int d = 0; d < dims.size(); d++) {
            BigInteger big = (BigInteger) dims.get(d);
            if (big.signum() < 0 || big.bitLength() > 62) {
                throw new DatasetFormatException(source, headerAt, "a non-negative element count below 2^62", big.toString());
            }
            dimsOut[d] = big.longValue();
            try {
                n = Math.multiplyExact(n, dimsOut[d]);
            } catch (ArithmeticException e) {
                throw new DatasetFormatException(source, headerAt, "an element count below 2^63", PyLiteral.repr(shape));
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(n, size);
        } catch (ArithmeticException e) {
            throw new DatasetFormatException(source, headerAt, "a data size below 2^63 bytes", n + " elements of " + descr);
        }
        if (bytes > BinaryInput.MAX_ARRAY) {
            throw new DatasetFormatException(source, headerAt, "at most 2^31 bytes of data", bytes + " bytes");
        }
        byte[] data = in.readBytes(bytes, n + " elements of " + descr);
        in.expectEof(n + " elements of " + descr);
        return new Array(descr, dimsOut, ByteBuffer.wrap(data).order(order), source);
    }

    private static String abbreviate(String header) {
        String t = header.trim();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x ", x & 0xFF));
        return sb.toString().trim();
    }
}
