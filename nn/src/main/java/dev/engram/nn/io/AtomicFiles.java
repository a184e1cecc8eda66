package dev.engram.nn.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement: content goes to a temporary file in the target's directory, is
 * forced to disk, and is renamed over the target with an atomic move. Readers see either the
 * old file or the complete new one; on any failure the old file is untouched and the temporary
 * file is removed.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the whole content to an open channel. */
    @FunctionalInterface
    public interface Content {
        /** Writes the content to {@code channel}, positioned at the start of an empty file. */
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Atomically replaces (or creates) {@code target} with what {@code content} writes. */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (IOException | RuntimeException | Error e) {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /** Atomically replaces {@code target} with UTF-8 {@code text}. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** Writes every remaining byte of {@code buf}. */
    public static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Makes the rename durable where the platform allows syncing a directory (not on Windows). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the file itself is already durable
        }
    }
}
