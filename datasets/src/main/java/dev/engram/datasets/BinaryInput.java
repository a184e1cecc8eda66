package dev.engram.datasets;

import java.io.IOException;
import java.io.InputStream;

/**
 * Sequential reader over an {@link InputStream} that tracks the byte offset and reports every short read as a
 * {@link DatasetFormatException} naming the source, offset and what was being read. Package-private helper.
 */
final class BinaryInput {
    private final InputStream in;
    private final String source;
    private long offset;
    private boolean bigEndian = true;
    private final byte[] scratch = new byte[8];

    BinaryInput(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    String source() { return source; }

    long offset() { return offset; }

    void bigEndian(boolean be) { this.bigEndian = be; }

    boolean isBigEndian() { return bigEndian; }

    /** Reads exactly {@code len} bytes or throws a format exception describing the truncation. */
    void readFully(byte[] b, int off, int len, String what) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, off + done, len - done);
            if (n < 0) {
                throw new DatasetFormatException(source, offset + done,
                        len + " bytes of " + what, "end of file after " + done + " bytes (truncated)");
            }
            done += n;
        }
        offset += len;
    }

    /** Reads up to {@code len} bytes, stopping early only at end of file; returns the count read. */
    int readUpTo(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, off + done, len - done);
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

    /** True when the stream has no more bytes (consumes at most one byte, which is then counted). */
    boolean atEof() throws IOException {
        int b = in.read();
        if (b < 0) return true;
        offset++;
        return false;
    }

    /** Throws unless the stream is exhausted: trailing bytes mean the declared sizes were wrong. */
    void expectEof(String what) throws IOException {
        long at = offset;
        if (!atEof()) {
            long extra = 1;
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) extra += n;
            throw new DatasetFormatException(source, at, "end of file after " + what,
                    extra + " trailing byte(s)");
        }
    }

    static IOException eof(String source, long offset, String what) {
        return new DatasetFormatException(source, offset, what, "end of file");
    }
}
