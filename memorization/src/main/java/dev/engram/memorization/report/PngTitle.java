package dev.engram.memorization.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * A chart's title stored inside its PNG as an international text chunk ({@code iTXt}, keyword {@code Title}), so that
 * the report can caption a figure with its title rather than its file name.
 */
public final class PngTitle {
    /** The PNG text keyword used. */
    public static final String KEYWORD = "Title";
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngTitle() { }

    /** {@code png} with an {@code iTXt Title} chunk right after its header chunk; unchanged when not a PNG. */
    public static byte[] withTitle(byte[] png, String title) {
        if (title == null || title.isBlank() || !isPng(png) || png.length < 33) return png;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(KEYWORD.getBytes(StandardCharsets.ISO_8859_1));
        data.write(0); // keyword terminator
        data.write(0); // not compressed
        data.write(0); // compression method
        data.write(0); // empty language tag
        data.write(0); // empty translated keyword
        data.writeBytes(title.getBytes(StandardCharsets.UTF_8));
        byte[] body = data.toByteArray();
        byte[] type = "iTXt".getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(type);
        crc.update(body);
        int ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, IHDR length, type, data, CRC
        ByteBuffer out = ByteBuffer.allocate(png.length + 12 + body.length);
        out.put(png, 0, ihdrEnd).putInt(body.length).put(type).put(body).putInt((int) crc.getValue())
                .put(png, ihdrEnd, png.length - ihdrEnd);
        return out.array();
    }

    /** The title stored in {@code png}, if any. */
    public static Optional<String> read(byte[] png) {
        if (!isPng(png)) return Optional.empty();
        ByteBuffer b = ByteBuffer.wrap(png);
        int pos = 8;
        while (pos + 12 <= png.length) {
            int len = b.getInt(pos);
            if (len < 0 || pos + 12L + len > png.length) return Optional.empty();
            String type = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (type.equals("iTXt")) {
                int start = pos + 8;
                int end = start + len;
                int nul = indexOf(png, start, end);
                if (nul > 0 && new String(png, start, nul - start, StandardCharsets.ISO_8859_1).equals(KEYWORD)
                        && nul + 3 < end) {
                    int p = nul + 3; // flag, method
                    p = indexOf(png, p, end) + 1; // language tag
                    if (p <= 0) return Optional.empty();
                    p = indexOf(png, p, end) + 1; // translated keyword
                    if (p <= 0) return Optional.empty();
                    return Optional.of(new String(png, p, end - p, StandardCharsets.UTF_8));
                }
            }
            if (type.equals("IDAT") || type.equals("IEND")) return Optional.empty();
            pos += 12 + len;
        }
        return Optional.empty();
    }

    /** The title stored in the PNG file {@code png}, if any. */
    public static Optional<String> read(Path png) throws IOException {
        return read(Files.readAllBytes(png));
    }

    private static int indexOf(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) if (a[i] == 0) return i;
        return -1;
    }

    private static boolean isPng(byte[] png) {
        if (png == null || png.length < SIGNATURE.length) return false;
        for (int i = 0; i < SIGNATURE.length; i++) if (png[i] != SIGNATURE[i]) return false;
        return true;
    }
}
