package dev.engram.datasets;

/**
 * Progress callback for downloads and other fetch steps. Called from the downloading thread.
 */
@FunctionalInterface
public interface DownloadListener {
    /** Ignores everything. */
    DownloadListener NONE = (file, done, total) -> { };

    /**
     * @param file  the cache file being fetched
     * @param bytes bytes of the file present so far (including a resumed prefix)
     * @param total expected total size, or -1 when unknown
     */
    void progress(String file, long bytes, long total);

    /** A human-readable status message (source chosen, resume, verification). Default: ignored. */
    default void message(String text) { }
}
