package dev.engram.memorization.analysis;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A {@link Progress.Task} reported as plain lines (for logs, CI and batch jobs): at most one line every
 * {@code intervalMillis}, plus the last one, each {@code "name: 3/10 (30%), elapsed 1 min 02 s, ETA 2 min 25 s"}.
 * The estimate assumes the remaining steps take as long as the steps so far did on average.
 */
public final class PlainTask implements Progress.Task {
    /** Default time between two lines. */
    public static final long DEFAULT_INTERVAL_MILLIS = 10_000;

    private final Progress out;
    private final String name;
    private final long total;
    private final LongSupplier nanos;
    private final long intervalNanos;
    private final long start;
    private long lastPrinted;
    private long done;
    private boolean closed;

    /** Reports to {@code out} every {@link #DEFAULT_INTERVAL_MILLIS} ms at most. */
    public PlainTask(Progress out, String name, long total) {
        this(out, name, total, System::nanoTime, DEFAULT_INTERVAL_MILLIS);
    }

    /** Reports to {@code out} at most every {@code intervalMillis} ms of {@code nanos} (a clock, for tests). */
    public PlainTask(Progress out, String name, long total, LongSupplier nanos, long intervalMillis) {
        if (total < 0) throw new IllegalArgumentException("task '" + name + "' total must be >= 0, got " + total);
        this.out = out;
        this.name = name;
        this.total = total;
        this.nanos = nanos;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.start = nanos.getAsLong();
        this.lastPrinted = start;
    }

    @Override
    public synchronized void stepBy(long n) {
        stepTo(done + n);
    }

    @Override
    public synchronized void stepTo(long done) {
        this.done = Math.max(0, Math.min(done, total));
        long now = nanos.getAsLong();
        if (this.done == total) {
            close();
        } else if (now - lastPrinted >= intervalNanos) {
            lastPrinted = now;
            out.line(line(name, this.done, total, now - start));
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        out.line(line(name, done, total, nanos.getAsLong() - start));
    }

    /** {@code "name: done/total (pct%), elapsed E, ETA R"}; "ETA unknown" before the first step. */
    public static String line(String name, long done, long total, long elapsedNanos) {
        double elapsed = elapsedNanos / 1e9;
        StringBuilder sb = new StringBuilder(name).append(": ").append(done).append('/').append(total);
        if (total > 0) sb.append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * done / total));
        sb.append(", elapsed ").append(duration(elapsed));
        if (done >= total) {
            sb.append(", done");
        } else if (done == 0) {
            sb.append(", ETA unknown");
        } else {
            sb.append(", ETA ").append(duration(elapsed / done * (total - done)));
        }
        return sb.toString();
    }

    /** {@link #duration}, with tenths under a minute: {@code "0.4 s"}, {@code "12.3 s"}, {@code "4 min 07 s"}. */
    public static String durationWithTenths(double seconds) {
        return seconds >= 0 && seconds < 59.95 ? String.format(Locale.ROOT, "%.1f s", seconds) : duration(seconds);
    }

    /** Seconds as {@code "12 s"}, {@code "4 min 07 s"} or {@code "2 h 03 min"}. */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "unknown";
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }
}
