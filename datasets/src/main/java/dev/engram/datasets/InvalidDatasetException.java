package dev.engram.datasets;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A researcher's own dataset (an image folder or NumPy arrays) cannot be used as it is: mixed image sizes or channel
 * counts, an empty class folder, an unreadable image, labels out of range, arrays of different lengths. The message
 * starts with the file or folder at fault.
 */
public class InvalidDatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file    the file or folder at fault
     * @param problem what is wrong with it (and, where it helps, what to do)
     */
    public InvalidDatasetException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** Same, keeping the lower-level cause. */
    public InvalidDatasetException(Path file, String problem, Throwable cause) {
        this(file, problem);
        initCause(cause);
    }

    /** The file or folder named in the message. */
    public Path file() { return file; }
}
