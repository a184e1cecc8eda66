package dev.engram.memorization.report;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Whether a file is a whole PNG before the report embeds it: the signature, then chunks whose lengths stay inside the
 * file and whose CRCs match, from {@code IHDR} to {@code IEND}. A truncated or overwritten chart is reported in words
 * instead of being embedded as a broken image.
 */
final class PngCheck {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngCheck() { }

    /** What is wrong with {@code png}, or empty when it is a complete PNG. */
    static Optional<String> problem(byte[] png) {
        if (png.length < SIGNATURE.length) return Optional.of("only " + png.length + " bytes, shorter than a PNG signature");
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) return Optional.of("no PNG signature at its start");
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        long pos = SIGNATURE.length;
        boolean first = true;
        while (pos + 12 <= png.length) {
            long len = Integer.toUnsignedLong(b.getInt((int) pos));
            if (pos + 12 + len > png.length) {
                return Optional.of("truncated: a chunk at byte " + pos + " declares " + len + " bytes, past the end ("
                        + png.length + " bytes)");
            }
            String type = new String(png, (int) pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (first && !type.equals("IHDR")) return Optional.of("its first chunk is " + type + ", not IHDR");
            first = false;
            CRC32 crc = new CRC32();
            crc.update(png, (int) pos + 4, (int) (4 + len));
            if ((int) crc.getValue() != b.getInt((int) (pos + 8 + len))) {
                return Optional.of("damaged: the CRC of the " + type + " chunk at byte " + pos + " does not match");
            }
            if (type.equals("IEND")) return Optional.empty();
            pos += 12 + len;
        }
        return Optional.of("truncated: no IEND chunk (" + png.length + " bytes)");
    }
}
