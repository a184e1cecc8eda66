package dev.engram.datasets;

import java.io.IOException;
import java.nio.file.Path;

/** A dataset file is not in the cache and could not (or, offline, may not) be obtained. */
public class MissingDatasetFileException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path expectedAt;

    /** @param message names the file, where it was expected and how to get it  @param expectedAt cache path */
    public MissingDatasetFileException(String message, Path expectedAt) {
        super(message);
        this.expectedAt = expectedAt;
    }

    /** Where the file was expected. */
    public Path expectedAt() { return expectedAt; }
}
