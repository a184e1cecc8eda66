package dev.engram.memorization.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Atomic file writes: the content goes to a temporary file in the target's directory, is forced to disk, and
 * is then renamed over the target with {@link StandardCopyOption#ATOMIC_MOVE}. Readers therefore see either
 * the old file or the complete new one, never a half-written file.
 */
public final class AtomicFiles {

    /** Writes the content of a file to a stream. */
    @FunctionalInterface
    public interface Writer {
        /** Writes everything to {@code out}; must not close it. */
        void writeTo(OutputStream out) throws IOException;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private AtomicFiles() { }

    /** Atomically replaces {@code target} with what {@code writer} produces; parent directories are created. */
    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        // created with the default permissions (umask), unlike Files.createTempFile's owner-only mode
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        Files.createFile(tmp);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                writer.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot write " + abs + " atomically: the file system does not support"
                        + " atomic rename in " + dir, e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Atomically writes {@code bytes} to {@code target}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Atomically writes {@code text} as UTF-8 to {@code target}. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }
}
