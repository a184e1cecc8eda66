package dev.engram.nn.io;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not valid safetensors; the message names the file, the tensor and the defect. */
public final class SafeTensorsFormatException extends IOException {
    private final Path file;

    /** A defect {@code problem} of {@code file}. */
    public SafeTensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** A defect {@code problem} of {@code file} detected through {@code cause}. */
    public SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
