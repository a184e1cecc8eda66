package dev.engram.memorization.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The one-writer lock of a run folder: an exclusive operating-system lock on {@code RUN/.lock}, held by every command
 * that writes the run (training, resuming, analyses, the report) for as long as it writes. A second writer, in this
 * process or another, is refused with the holder's process id, command and start time. The operating system releases
 * the lock when its holder dies, so the lock of a killed process is taken over by the next writer; the file itself
 * stays (it only records who holds the lock). Taking the lock again on the thread that holds it nests (closing the
 * inner handle keeps the lock).
 */
public final class RunLock implements AutoCloseable {
    /** File name of the lock. */
    public static final String FILE = ".lock";

    private static final java.util.Map<Path, RunLock> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private final Thread owner;
    private int depth = 1;

    private RunLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
        this.owner = Thread.currentThread();
    }

    /**
     * Takes the lock of the run folder {@code dir} (created if missing) for {@code command}.
     *
     * @throws IllegalStateException when another writer holds it, naming that writer
     */
    public static synchronized RunLock acquire(Path dir, String command) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path key = dir.toRealPath();
        RunLock held = HELD.get(key);
        if (held != null && held.owner == Thread.currentThread()) {
            held.depth++; // the same writer going one level deeper (e.g. train inside the demo)
            return held;
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            String holder = holder(ch);
            ch.close();
            throw new IllegalStateException("run " + dir + " is being written by another process (" + holder
                    + "); wait for it to finish or stop it (lock file " + file + ")");
        }
        String me = "pid " + ProcessHandle.current().pid() + ", `" + command + "`, since " + Instant.now();
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(false);
        RunLock r = new RunLock(key, ch, l);
        HELD.put(key, r);
        return r;
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(4096, ch.size()));
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "holder unknown" : s;
        } catch (IOException e) {
            return "holder unknown: " + e.getMessage();
        }
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        synchronized (RunLock.class) {
            if (depth <= 0) return; // already released
            if (--depth > 0) return;
            HELD.remove(key, this);
        }
        try {
            if (lock.isValid()) lock.release();
        } finally {
            channel.close();
        }
    }
}
