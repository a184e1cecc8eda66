package dev.engram.datasets;

import java.io.IOException;
import java.io.InputStream;

/**
 * Sequential reader over an {@link InputStream} that tracks the byte offset and reports every short read as a
 * {@link DatasetFormatException} naming the source, offset and what was being read. Errors of the underlying stream
 * (a corrupt gzip or zlib stream, a bad zip entry CRC, an unexpected {@code EOFException}) are reported the same way.
 * Arrays whose size a file declares are allocated as their bytes arrive ({@link #readBytes}), so a hostile header
 * cannot make the reader allocate more than the data actually present. Package-private helper.
 */
final class BinaryInput {
    private final InputStream in;
    private final String source;
    private long offset;
    private boolean bigEndian = true;
    private final byte[] scratch = new byte[8];
    /** Largest array the JVM reliably allocates. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** First allocation of {@link #readBytes}; the array then doubles as bytes arrive. */
    private static final int FIRST_CHUNK = 1 << 20;

    private long length = -1;

    BinaryInput(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /** Declares the stream's total length (a plain file's size), so oversized declarations fail before reading. */
    BinaryInput length(long totalBytes) {
        this.length = totalBytes;
        return this;
    }

    String source() { return source; }

    long offset() { return offset; }

    void bigEndian(boolean be) { this.bigEndian = be; }

    boolean isBigEndian() { return bigEndian; }

    /** One read of the underlying stream; its I/O errors become format exceptions at the current offset. */
    private int read(byte[] b, int off, int len, long at, String what) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (DatasetFormatException e) {
            throw e;
        } catch (IOException e) {
            throw wrap(source, at, what, e);
        }
    }

    /**
     * A format exception for an I/O error of a (decompressing) stream; errors of the file system itself (no such
     * file, permission denied) stay what they are.
     */
    static IOException wrap(String source, long at, String what, IOException e) {
        if (e instanceof DatasetFormatException || e instanceof java.nio.file.FileSystemException) return e;
        String msg = e.getMessage() == null ? "" : ": " + e.getMessage();
        return new DatasetFormatException(source, at, what, "a corrupt or truncated stream (" + e.getClass().getSimpleName()
                + msg + ")", e);
    }

    /** Reads exactly {@code len} bytes or throws a format exception describing the truncation. */
    void readFully(byte[] b, int off, int len, String what) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(b, off + done, len - done, offset + done, what);
            if (n < 0) {
                throw new DatasetFormatException(source, offset + done,
                        len + " bytes of " + what, "end of file after " + done + " bytes (truncated)");
            }
            done += n;
        }
        offset += len;
    }

    /**
     * Reads exactly {@code n} bytes into a new array, growing it as the bytes arrive: a truncated file fails after
     * allocating about as much as it holds, never what its header declares.
     */
    byte[] readBytes(long n, String what) throws IOException {
        if (n < 0 || n > MAX_ARRAY) {
            throw new DatasetFormatException(source, offset, what + " of 0.." + MAX_ARRAY + " bytes", n + " bytes");
        }
        if (length >= 0 && n > length - offset) { // the same report as the short read would give, without reading
            long left = Math.max(0, length - offset);
            throw new DatasetFormatException(source, offset + left, n + " bytes of " + what,
                    "end of file after " + left + " bytes (truncated)");
        }
        int len = (int) n;
        byte[] b = new byte[Math.min(len, FIRST_CHUNK)];
        int done = 0;
        while (done < len) {
            if (done == b.length) b = java.util.Arrays.copyOf(b, (int) Math.min(len, 2L * b.length));
            int k = read(b, done, b.length - done, offset + done, what);
            if (k < 0) {
                throw new DatasetFormatException(source, offset + done,
                        len + " bytes of " + what, "end of file after " + done + " bytes (truncated)");
            }
            done += k;
        }
        offset += len;
        return b;
    }

    /** Reads up to {@code len} bytes, stopping early only at end of file; returns the count read. */
    int readUpTo(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(b, off + done, len - done, offset + done, "data");
            if (n < 0) break;
            done += n;
        }
        offset += done;
        return done;
    }

    /** A stream over exactly the next {@code n} bytes; a short underlying stream raises a format exception. */
    InputStream limited(long n, String what) {
        return new InputStream() {
            long left = n;

            @Override public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) return -1;
                int k = (int) Math.min(len, Math.min(left, 1 << 16));
                readFully(b, off, k, what);
                left -= k;
                return k;
            }
        };
    }

    int readU8(String what) throws IOException {
        readFully(scratch, 0, 1, what);
        return scratch[0] & 0xFF;
    }

    int readU16(String what) throws IOException {
        readFully(scratch, 0, 2, what);
        int a = scratch[0] & 0xFF, b = scratch[1] & 0xFF;
        return bigEndian ? (a << 8) | b : (b << 8) | a;
    }

    int readI32(String what) throws IOException {
        readFully(scratch, 0, 4, what);
        return getI32(scratch, 0, bigEndian);
    }

    long readI64(String what) throws IOException {
        readFully(scratch, 0, 8, what);
        long hi = getI32(scratch, bigEndian ? 0 : 4, bigEndian) & 0xFFFFFFFFL;
        long lo = getI32(scratch, bigEndian ? 4 : 0, bigEndian) & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    static int getI32(byte[] b, int off, boolean be) {
        int a0 = b[off] & 0xFF, a1 = b[off + 1] & 0xFF, a2 = b[off + 2] & 0xFF, a3 = b[off + 3] & 0xFF;
        return be ? (a0 << 24) | (a1 << 16) | (a2 << 8) | a3 : (a3 << 24) | (a2 << 16) | (a1 << 8) | a0;
    }

    /** Skips exactly {@code n} bytes. */
    void skip(long n, String what) throws IOException {
        byte[] buf = new byte[(int) Math.min(65536, Math.max(1, n))];
        long left = n;
        while (left > 0) {
            int chunk = (int) Math.min(buf.length, left);
            readFully(buf, 0, chunk, what);
            left -= chunk;
        }
    }

    /**
     * Reads and discards the rest of the stream, returning the count; a gzip or zip stream verifies its CRC-32 and
     * length trailer only when read to the end.
     */
    long drain(String what) throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = read(buf, 0, buf.length, offset, what)) >= 0) {
            offset += n;
            total += n;
        }
        return total;
    }

    /** True when the stream has no more bytes (consumes at most one byte, which is then counted). */
    boolean atEof() throws IOException {
        int b = read(scratch, 0, 1, offset, "end of file");
        while (b == 0) b = read(scratch, 0, 1, offset, "end of file");
        if (b < 0) return true;
        offset++;
        return false;
    }

    /** Throws unless the stream is exhausted: trailing bytes mean the declared sizes were wrong. */
    void expectEof(String what) throws IOException {
        long at = offset;
        if (!atEof()) {
            // count a bounded amount: a decompression bomb must not keep the reader busy
            long extra = 1;
            byte[] buf = new byte[65536];
            int n = 0;
            while (extra < (1 << 20) && (n = read(buf, 0, buf.length, at + extra, "trailing bytes")) >= 0) extra += n;
            throw new DatasetFormatException(source, at, "end of file after " + what,
                    (n >= 0 ? "at least " : "") + extra + " trailing byte(s)");
        }
    }

    static IOException eof(String source, long offset, String what) {
        return new DatasetFormatException(source, offset, what, "end of file");
    }
}
