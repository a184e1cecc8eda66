package dev.engram.memorization.analysis;

/**
 * Where an analysis reports what it is doing: one human-readable line at a time, and counted tasks
 * ({@link #task}) whose progress is shown with the elapsed time and an estimate of the time left.
 */
@FunctionalInterface
public interface Progress {
    /** Ignores every line and task. */
    Progress NONE = line -> { };

    /** Reports one line (no trailing newline). */
    void line(String line);

    /**
     * Starts a task of {@code total} steps. Default: plain lines through {@link #line} at most every
     * {@link PlainTask#DEFAULT_INTERVAL_MILLIS} ms and at the end, each with done/total, elapsed time and ETA; a
     * terminal may show a live bar instead ({@link ConsoleProgress}).
     */
    default Task task(String name, long total) {
        return this == NONE ? Task.NONE : new PlainTask(this, name, total);
    }

    /** A counted piece of work; close it when done. */
    interface Task extends AutoCloseable {
        /** Counts nothing. */
        Task NONE = new Task() {
            @Override public void stepBy(long n) { }
            @Override public void stepTo(long done) { }
            @Override public void close() { }
        };

        /** One more step done. */
        default void step() {
            stepBy(1);
        }

        /** {@code n} more steps done (default: not supported without {@link #stepTo}; implementations override). */
        default void stepBy(long n) {
            throw new UnsupportedOperationException("stepBy");
        }

        /** {@code done} steps done in all. */
        void stepTo(long done);

        /** Ends the task (prints its last line). */
        @Override
        void close();
    }
}
