package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Streaming reader for MATLAB Level 5 MAT-files (the format of SVHN's {@code train_32x32.mat} /
 * {@code test_32x32.mat}).
 *
 * <p>Supported: the 128-byte header (116 bytes text, 8 bytes subsystem offset, version {@code 0x0100}, endian
 * indicator {@code "IM"} = little-endian or {@code "MI"} = big-endian); data elements with normal 8-byte tags and
 * the small-element format (byte count in the upper 16 bits, data packed in the tag's second word);
 * {@code miCOMPRESSED} (type 15, zlib, inflated with {@link Inflater} while streaming) wrapping
 * {@code miMATRIX} (type 14) elements; numeric classes double, single, int8..uint64 with the real part stored in
 * any numeric storage type (MATLAB often stores a double array as {@code miUINT8}). uint8 arrays stored as
 * {@code miUINT8} are kept as bytes, everything else is converted to {@code double}. Cell, struct, object, char,
 * sparse and complex arrays are rejected with a {@link DatasetFormatException} when requested and skipped
 * otherwise. MAT v7.3 (HDF5) files are rejected (wrong version). Declared sizes are checked before anything is
 * allocated: a small element declaring more than 4 bytes, a dimension product that overflows, a sub-element
 * reaching past its {@code miMATRIX} and a real part longer than the file are errors; the zlib Adler-32 of every
 * {@code miCOMPRESSED} element is verified; {@code miUINT64} values convert as unsigned. Every defect is a
 * {@link DatasetFormatException} naming the file and the byte offset.
 *
 * <p>Arrays are column-major, as in MATLAB: element (i0, i1, …) is at {@code i0 + d0*(i1 + d1*(…))}.
 */
public final class MatReader {
    /** miINT8 … miUINT64 type codes. */
    static final int MI_INT8 = 1, MI_UINT8 = 2, MI_INT16 = 3, MI_UINT16 = 4, MI_INT32 = 5, MI_UINT32 = 6,
            MI_SINGLE = 7, MI_DOUBLE = 9, MI_INT64 = 12, MI_UINT64 = 13, MI_MATRIX = 14, MI_COMPRESSED = 15;
    /** mxDOUBLE_CLASS. */
    public static final int MX_DOUBLE = 6;
    /** mxUINT8_CLASS. */
    public static final int MX_UINT8 = 9;

    private MatReader() { }

    /**
     * A numeric MATLAB array (real part only).
     *
     * @param name     variable name
     * @param matClass MATLAB class code (6 = double, 7 = single, 8 = int8, 9 = uint8, … 15 = uint64)
     * @param dims     dimensions (column-major)
     * @param bytes    the data when the class is uint8 stored as miUINT8, else null
     * @param values   the data converted to double otherwise, else null
     */
    public record MatArray(String name, int matClass, int[] dims, byte[] bytes, double[] values) {
        /** Number of elements. */
        public long numel() {
            long n = 1;
            for (int d : dims) n *= d;
            return n;
        }

        /** Element {@code i} (column-major linear index) as a double. */
        public double get(int i) {
            return bytes != null ? (bytes[i] & 0xFF) : values[i];
        }

        @Override public String toString() {
            return "MatArray[" + name + ", class " + matClass + ", dims " + Arrays.toString(dims) + "]";
        }
    }

    /** Reads every supported top-level variable. */
    public static Map<String, MatArray> read(Path file) throws IOException {
        return read(file, null);
    }

    /** Reads the variables named in {@code wanted} (null = all), skipping the others. */
    public static Map<String, MatArray> read(Path file, Set<String> wanted) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(new BinaryInput(in, file.toString()).length(Files.size(file)), wanted);
        }
    }

    /** Reads from a stream; {@code source} names it in error messages. */
    public static Map<String, MatArray> read(InputStream stream, String source, Set<String> wanted)
            throws IOException {
        return read(new BinaryInput(stream, source), wanted);
    }

    private static Map<String, MatArray> read(BinaryInput in, Set<String> wanted) throws IOException {
        String source = in.source();
        byte[] header = new byte[128];
        in.readFully(header, 0, 128, "128-byte MAT-file header");
        boolean be;
        if (header[126] == 'I' && header[127] == 'M') {
            be = false;
        } else if (header[126] == 'M' && header[127] == 'I') {
            be = true;
        } else {
            throw new DatasetFormatException(source, 126, "endian indicator 'IM' or 'MI' (MATLAB Level 5 MAT-file)",
                    String.format("bytes 0x%02x 0x%02x", header[126] & 0xFF, header[127] & 0xFF));
        }
        int version = be ? ((header[124] & 0xFF) << 8) | (header[125] & 0xFF)
                : ((header[125] & 0xFF) << 8) | (header[124] & 0xFF);
        if (version != 0x0100) {
            throw new DatasetFormatException(source, 124, "MAT-file version 0x0100 (Level 5; v7.3/HDF5 unsupported)",
                    String.format("0x%04x", version));
        }
        in.bigEndian(be);
        Map<String, MatArray> out = new LinkedHashMap<>();
        byte[] tagBuf = new byte[8];
        while (true) {
            long at = in.offset();
            int got = in.readUpTo(tagBuf, 0, 8);
            if (got == 0) break;
            if (got < 8) throw new DatasetFormatException(source, at, "8-byte data element tag", got + " bytes");
            Tag tag = Tag.parse(tagBuf, be, at, source);
            if (tag.small) continue; // a small top-level element carries no variable
            if (tag.type == MI_COMPRESSED) {
                InputStream compressed = in.limited(tag.bytes, "miCOMPRESSED data");
                Inflater inflater = new Inflater();
                InputStream z = new InflaterInputStream(compressed, inflater, 1 << 16);
                BinaryInput inner = new BinaryInput(new BufferedInputStream(z, 1 << 16),
                        source + " (miCOMPRESSED element at byte offset " + at + ", decompressed offsets)");
                inner.bigEndian(be);
                byte[] tb = new byte[8];
                inner.readFully(tb, 0, 8, "data element tag");
                Tag t2 = Tag.parse(tb, be, 0, inner.source());
                if (t2.type != MI_MATRIX) {
                    throw new DatasetFormatException(inner.source(), 0, "miMATRIX (14) inside miCOMPRESSED",
                            "type " + t2.type);
                }
                MatArray a = readMatrix(inner, t2.bytes, wanted);
                if (a != null) out.put(a.name(), a);
                // inflate to the end of the zlib stream (which verifies its Adler-32), then skip what follows it in
                // the element, so the outer stream is positioned after the element
                inner.drain("the rest of the miCOMPRESSED element");
                compressed.transferTo(OutputSink.INSTANCE);
                inflater.end();
            } else if (tag.type == MI_MATRIX) {
                MatArray a = readMatrix(in, tag.bytes, wanted);
                if (a != null) out.put(a.name(), a);
                in.skip((8 - tag.bytes % 8) % 8, "padding");
            } else {
                in.skip(tag.bytes + (8 - tag.bytes % 8) % 8, "top-level element of type " + tag.type);
            }
        }
        return out;
    }

    /** Discards bytes. */
    private static final class OutputSink extends java.io.OutputStream {
        static final OutputSink INSTANCE = new OutputSink();

        @Override public void write(int b) { }

        @Override public void write(byte[] b, int off, int len) { }
    }

    private record Tag(int type, long bytes, boolean small, byte[] smallData) {
        static Tag parse(byte[] b, boolean be, long at, String source) throws DatasetFormatException {
            int w0 = BinaryInput.getI32(b, 0, be);
            if ((w0 >>> 16) != 0) {
                if ((w0 >>> 16) > 4) {
                    throw new DatasetFormatException(source, at, "a small data element of at most 4 bytes",
                            (w0 >>> 16) + " bytes");
                }
                byte[] d = new byte[4];
                System.arraycopy(b, 4, d, 0, 4);
                return new Tag(w0 & 0xFFFF, w0 >>> 16, true, d);
            }
            return new Tag(w0, BinaryInput.getI32(b, 4, be) & 0xFFFFFFFFL, false, null);
        }
    }

    private static Tag readTag(BinaryInput in, String what) throws IOException {
        byte[] b = new byte[8];
        in.readFully(b, 0, 8, "tag of " + what);
        return Tag.parse(b, isBe(in), in.offset() - 8, in.source());
    }

    private static boolean isBe(BinaryInput in) {
        return in.isBigEndian();
    }

    /** Reads a whole (small or padded) sub-element's data. */
    private static byte[] readSmallData(BinaryInput in, Tag t, String what, long limit) throws IOException {
        if (t.small) return Arrays.copyOf(t.smallData, (int) t.bytes);
        if (t.bytes > limit) {
            throw new DatasetFormatException(in.source(), in.offset() - 8, what + " of at most " + limit + " bytes",
                    t.bytes + " bytes");
        }
        byte[] d = new byte[(int) t.bytes];
        in.readFully(d, 0, d.length, what);
        in.skip((8 - t.bytes % 8) % 8, "padding after " + what);
        return d;
    }

    private static MatArray readMatrix(BinaryInput in, long nbytes, Set<String> wanted) throws IOException {
        long start = in.offset();
        if (nbytes == 0) return null;
        boolean be = in.isBigEndian();
        long flagsAt = in.offset();
        Tag ft = readTag(in, "array flags");
        if (ft.type != MI_UINT32 || ft.bytes != 8) {
            throw new DatasetFormatException(in.source(), flagsAt, "array flags sub-element (miUINT32, 8 bytes)",
                    "type " + ft.type + ", " + ft.bytes + " bytes");
        }
        byte[] fl = readSmallData(in, ft, "array flags", 8);
        int flags = BinaryInput.getI32(fl, 0, be);
        int matClass = flags & 0xFF;
        boolean complex = (flags & 0x0800) != 0;
        long dimsAt = in.offset();
        Tag dt = readTag(in, "dimensions");
        if (dt.type != MI_INT32 || dt.bytes < 8 || dt.bytes % 4 != 0) {
            throw new DatasetFormatException(in.source(), dimsAt, "dimensions sub-element (miINT32, >= 2 dims)",
                    "type " + dt.type + ", " + dt.bytes + " bytes");
        }
        byte[] db = readSmallData(in, dt, "dimensions", 4 * 64);
        int[] dims = new int[db.length / 4];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = BinaryInput.getI32(db, 4 * i, be);
            if (dims[i] < 0) {
                throw new DatasetFormatException(in.source(), dimsAt + 8 + 4L * i, "non-negative dimension",
                        Integer.toString(dims[i]));
            }
            try {
                numel = Math.multiplyExact(numel, dims[i]);
            } catch (ArithmeticException e) {
                throw new DatasetFormatException(in.source(), dimsAt, "dimensions whose product fits in 63 bits",
                        Arrays.toString(dims));
            }
        }
        long nameAt = in.offset();
        Tag nt = readTag(in, "array name");
        if (nt.type != MI_INT8) {
            throw new DatasetFormatException(in.source(), nameAt, "array name sub-element (miINT8)", "type " + nt.type);
        }
        String name = new String(readSmallData(in, nt, "array name", 1 << 16), StandardCharsets.US_ASCII);
        boolean want = wanted == null || wanted.contains(name);
        long end = start + nbytes;
        checkInside(in, start, end, nbytes, name);
        boolean numeric = matClass >= 6 && matClass <= 15;
        if (!numeric || complex) {
            if (want && wanted != null) {
                throw new DatasetFormatException(in.source(), flagsAt + 8,
                        "a real numeric MAT class (6..15) for variable '" + name + "'",
                        "class " + matClass + (complex ? " (complex)" : ""));
            }
            in.skip(end - in.offset(), "unsupported variable " + name);
            return null;
        }
        long realAt = in.offset();
        Tag rt = readTag(in, "real part of " + name);
        checkInside(in, start, end, nbytes, name);
        if (!rt.small && rt.bytes > end - in.offset()) {
            throw new DatasetFormatException(in.source(), realAt + 4, "real part of '" + name + "' within its miMATRIX ("
                    + (end - in.offset()) + " bytes left)", rt.bytes + " bytes");
        }
        int es = storageSize(rt.type);
        if (es < 0) {
            throw new DatasetFormatException(in.source(), realAt, "numeric storage type for the real part of '" + name
                    + "'", "type " + rt.type);
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(numel, es);
        } catch (ArithmeticException e) {
            throw new DatasetFormatException(in.source(), dimsAt, "at most 2^63 bytes of real data", numel + " elements");
        }
        if (rt.bytes != expectedBytes) {
            throw new DatasetFormatException(in.source(), realAt + 4, numel * es + " bytes of real data for '" + name
                    + "' " + Arrays.toString(dims) + " (" + numel + " elements x " + es + " bytes)", rt.bytes + " bytes");
        }
        if (!want) {
            in.skip(end - in.offset(), "skipped variable " + name);
            return null;
        }
        if (rt.bytes > BinaryInput.MAX_ARRAY) {
            throw new DatasetFormatException(in.source(), realAt, "at most 2^31 bytes of real data for '" + name + "'",
                    rt.bytes + " bytes");
        }
        byte[] raw;
        if (rt.small) {
            raw = Arrays.copyOf(rt.smallData, (int) rt.bytes);
        } else {
            raw = in.readBytes(rt.bytes, "real part of '" + name + "'");
            in.skip((8 - rt.bytes % 8) % 8, "padding");
        }
        long rest = end - in.offset();
        if (rest < 0) {
            throw new DatasetFormatException(in.source(), start - 4, "miMATRIX byte count >= " + (in.offset() - start),
                    Long.toString(nbytes));
        }
        in.skip(rest, "rest of miMATRIX " + name);
        if (matClass == MX_UINT8 && rt.type == MI_UINT8) return new MatArray(name, matClass, dims, raw, null);
        double[] v = new double[(int) numel];
        ByteBuffer bb = ByteBuffer.wrap(raw).order(be ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (rt.type) {
                case MI_INT8 -> bb.get(i);
                case MI_UINT8 -> bb.get(i) & 0xFF;
                case MI_INT16 -> bb.getShort(2 * i);
                case MI_UINT16 -> bb.getShort(2 * i) & 0xFFFF;
                case MI_INT32 -> bb.getInt(4 * i);
                case MI_UINT32 -> bb.getInt(4 * i) & 0xFFFFFFFFL;
                case MI_SINGLE -> bb.getFloat(4 * i);
                case MI_DOUBLE -> bb.getDouble(8 * i);
                case MI_INT64 -> bb.getLong(8 * i);
                case MI_UINT64 -> unsigned(bb.getLong(8 * i));
                default -> throw new IllegalStateException();
            };
        }
        return new MatArray(name, matClass, dims, null, v);
    }

    /** An unsigned 64-bit value as the nearest double (values >= 2^63 are not negative). */
    static double unsigned(long v) {
        if (v >= 0) return v;
        return ((v >>> 1) | (v & 1)) * 2.0; // halve (keeping the sticky bit for rounding), convert, double
    }

    private static void checkInside(BinaryInput in, long start, long end, long nbytes, String name)
            throws DatasetFormatException {
        if (in.offset() > end) {
            throw new DatasetFormatException(in.source(), start - 4, "miMATRIX byte count >= " + (in.offset() - start)
                    + " (its sub-elements for '" + name + "')", Long.toString(nbytes));
        }
    }

    private static int storageSize(int type) {
        return switch (type) {
            case MI_INT8, MI_UINT8 -> 1;
            case MI_INT16, MI_UINT16 -> 2;
            case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
            case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
            default -> -1;
        };
    }

    /**
     * Reads an SVHN cropped-digits file: {@code X} uint8 [H, W, C, N] (column-major; 32×32×3×N for SVHN) and
     * {@code y} [N, 1] (double or uint8) with label 10 meaning digit 0, mapped to 0. Pixel (row r, column c,
     * channel ch) of image n is {@code X[r + H*(c + W*(ch + C*n))]}; it lands at NCHW {@code [n][ch][r][c]}.
     */
    public static Dataset readSvhn(Path file, String name) throws IOException {
        Map<String, MatArray> m = read(file, Set.of("X", "y"));
        MatArray x = m.get("X"), y = m.get("y");
        String src = file.toString();
        if (x == null || y == null) {
            throw new DatasetFormatException(src, -1, "variables 'X' and 'y'", "variables " + m.keySet());
        }
        if (x.bytes() == null) {
            throw new DatasetFormatException(src, -1, "'X' of class uint8 stored as miUINT8",
                    "class " + x.matClass());
        }
        int[] d = x.dims();
        if (d.length < 3 || d.length > 4) {
            throw new DatasetFormatException(src, -1, "'X' with dims [H,W,C,N]", Arrays.toString(d));
        }
        int h = d[0], w = d[1], c = d[2], n = d.length == 4 ? d[3] : 1;
        if (h <= 0 || w <= 0 || c <= 0) {
            throw new DatasetFormatException(src, -1, "'X' with positive H, W and C", Arrays.toString(d));
        }
        if (y.numel() != n) {
            throw new DatasetFormatException(src, -1, n + " labels in 'y' (N of X " + Arrays.toString(d) + ")",
                    y.numel() + " labels, dims " + Arrays.toString(y.dims()));
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double v = y.get(i);
            if (v != Math.rint(v) || v < 0 || v > 10) {
                throw new DatasetFormatException(src, -1, "integer label in 0..10 (10 and 0 both = digit 0) at y(" + (i + 1) + ")",
                        Double.toString(v));
            }
            labels[i] = ((int) v) % 10;
        }
        byte[] src0 = x.bytes();
        byte[] out = new byte[src0.length];
        int hw = h * w, chw = c * hw;
        for (int img = 0; img < n; img++) {
            int base = img * chw;
            for (int ch = 0; ch < c; ch++) {
                int plane = base + ch * hw;
                for (int col = 0; col < w; col++) {
                    int s = plane + col * h; // column-major within the plane: rows are contiguous
                    for (int r = 0; r < h; r++) out[plane + r * w + col] = src0[s + r];
                }
            }
        }
        return new Dataset(name, c, h, w, 10, out, labels);
    }
}
