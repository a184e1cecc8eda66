package dev.engram.memorization.run;

import java.nio.file.Path;

/**
 * A run folder lacks a file an operation needs, or holds one that cannot be read. The message names the file and,
 * where one exists, the command that creates it.
 */
public class RunFolderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** Problem with {@code file}. */
    public RunFolderException(Path file, String message) {
        super(message);
        this.file = file;
    }

    /** Problem with {@code file} caused by {@code cause}. */
    public RunFolderException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file concerned. */
    public Path file() {
        return file;
    }
}
