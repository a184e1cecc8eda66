package dev.engram.nn.train;

/** How the trainer reports progress. */
public enum ProgressMode {
    /** {@link #BAR} on an interactive terminal outside CI (no {@code CI} environment variable), else {@link #LOG}. */
    AUTO,
    /** A live progress bar on the console (refreshed at most once a second), and one log line per epoch. */
    BAR,
    /** Occasional progress lines (at most one per progress interval, default a minute) and one line per epoch, through SLF4J. */
    LOG,
    /** Nothing. */
    NONE
}
