package dev.engram.memorization.analysis;

/** Where an analysis reports what it is doing: one human-readable line at a time. */
@FunctionalInterface
public interface Progress {
    /** Ignores every line. */
    Progress NONE = line -> { };

    /** Reports one line (no trailing newline). */
    void line(String line);
}
