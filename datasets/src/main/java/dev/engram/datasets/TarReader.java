package dev.engram.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Minimal streaming reader for POSIX ustar / GNU tar archives (as produced by {@code tar} and {@code npm pack}).
 * Supports regular files, directories, GNU long names ({@code 'L'}) and pax extended headers ({@code 'x'},
 * {@code path=} only; global headers are skipped). Header checksums are verified; sizes (octal or GNU base-256)
 * must be non-negative and fit a long; content is allocated as it arrives. Wrap a
 * {@link java.util.zip.GZIPInputStream} around the source for {@code .tar.gz}/{@code .tgz} and call
 * {@link #finish()} after the last entry so the gzip CRC-32 and length trailer are verified. Every defect is a
 * {@link DatasetFormatException} naming the source and offset.
 */
public final class TarReader {
    private final BinaryInput in;
    private long remaining;   // bytes of the current entry not yet consumed
    private long padding;     // padding after the current entry
    private boolean finished;

    /**
     * Entry metadata.
     *
     * @param name path inside the archive
     * @param size content size in bytes
     * @param type tar type flag ('0' or NUL = regular file, '5' = directory, …)
     */
    public record Entry(String name, long size, char type) {
        /** True for regular files. */
        public boolean isFile() { return type == '0' || type == '\0' || type == '7'; }
    }

    /** @param in the (decompressed) tar stream  @param source name used in error messages */
    public TarReader(InputStream in, String source) {
        this.in = new BinaryInput(in, source);
    }

    /** Advances to the next entry, skipping the unread rest of the current one; null at the end of the archive. */
    public Entry next() throws IOException {
        if (finished) return null;
        in.skip(remaining + padding, "rest of tar entry");
        remaining = 0;
        padding = 0;
        String longName = null;
        byte[] h = new byte[512];
        while (true) {
            long at = in.offset();
            int n = readBlockOrEof(h);
            if (n == 0) {
                finished = true;
                return null; // tolerate a missing end-of-archive marker
            }
            if (n < 512) {
                throw new DatasetFormatException(in.source(), at + n, "512-byte tar header", "end of file");
            }
            if (allZero(h)) {
                finished = true;
                return null;
            }
            long stored = parseOctal(h, 148, 8, at);
            long sum = 0;
            for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? 32 : (h[i] & 0xFF);
            if (sum != stored) {
                throw new DatasetFormatException(in.source(), at + 148, "tar header checksum " + sum,
                        Long.toString(stored));
            }
            String name = cString(h, 0, 100);
            String magic = cString(h, 257, 6);
            if (magic.startsWith("ustar")) {
                String prefix = cString(h, 345, 155);
                if (!prefix.isEmpty()) name = prefix + "/" + name;
            }
            long size = parseSize(h, at);
            char type = (char) (h[156] & 0xFF);
            long pad = (512 - size % 512) % 512;
            if (type == 'L' || type == 'x' || type == 'g') {
                if (size > 1 << 20) {
                    throw new DatasetFormatException(in.source(), at + 124, "extended header <= 1 MiB", size + " bytes");
                }
                byte[] data = new byte[(int) size];
                in.readFully(data, 0, data.length, "tar extended header");
                in.skip(pad, "tar padding");
                if (type == 'L') {
                    longName = cString(data, 0, data.length);
                } else if (type == 'x') {
                    String path = paxPath(new String(data, StandardCharsets.UTF_8));
                    if (path != null) longName = path;
                }
                continue;
            }
            if (longName != null) name = longName;
            boolean hasData = type != '5' && type != '1' && type != '2';
            remaining = hasData ? size : 0;
            padding = hasData ? pad : 0;
            return new Entry(name, size, type);
        }
    }

    /** Reads the whole content of the current entry (must be at most 2 GiB). */
    public byte[] readContent() throws IOException {
        byte[] b = in.readBytes(remaining, "tar entry content");
        remaining = 0;
        return b;
    }

    /**
     * Skips the rest of the archive after {@link #next()} returned null, reading the underlying stream to its end:
     * a {@link java.util.zip.GZIPInputStream} checks its CRC-32 and length trailer only then, so a corrupt or
     * truncated {@code .tar.gz} fails here instead of loading silently.
     */
    public void finish() throws IOException {
        while (next() != null) {
            // skip remaining entries
        }
        in.drain("the rest of the archive");
    }

    /** A stream over the rest of the current entry's content; reading past it returns end-of-stream. */
    public InputStream content() {
        return new InputStream() {
            private final byte[] one = new byte[1];

            @Override public int read() throws IOException {
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) return -1;
                int n = (int) Math.min(len, remaining);
                in.readFully(b, off, n, "tar entry content");
                remaining -= n;
                return n;
            }
        };
    }

    private int readBlockOrEof(byte[] h) throws IOException {
        return in.readUpTo(h, 0, 512);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private long parseOctal(byte[] b, int off, int len, long at) throws DatasetFormatException {
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xFF;
            if (c == 0 || c == ' ') {
                if (any) break;
                continue;
            }
            if (c < '0' || c > '7') {
                throw new DatasetFormatException(in.source(), at + i, "octal digit in tar header",
                        "byte 0x" + Integer.toHexString(c));
            }
            v = v * 8 + (c - '0');
            any = true;
        }
        return v;
    }

    private long parseSize(byte[] h, long at) throws DatasetFormatException {
        if ((h[124] & 0x80) != 0) { // GNU base-256: two's complement over the 12 bytes, top bit as the marker
            if ((h[124] & 0x40) != 0) {
                throw new DatasetFormatException(in.source(), at + 124, "a non-negative entry size", "a negative base-256 size");
            }
            long v = h[124] & 0x3F;
            for (int i = 125; i < 136; i++) {
                if (v > (Long.MAX_VALUE >>> 8)) {
                    throw new DatasetFormatException(in.source(), at + 124, "an entry size below 2^63", "a larger base-256 size");
                }
                v = (v << 8) | (h[i] & 0xFF);
            }
            return v;
        }
        return parseOctal(h, 124, 12, at);
    }

    private static String paxPath(String records) {
        for (String line : records.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp < 0) continue;
            String kv = line.substring(sp + 1);
            if (kv.startsWith("path=")) return kv.substring(5);
        }
        return null;
    }
}
