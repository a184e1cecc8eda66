package dev.engram.datasets;

import java.io.IOException;

/**
 * A dataset file is malformed: truncated, wrong magic number, inconsistent dimensions, wrong payload size or an
 * unsupported encoding. The message always names the file, the byte offset at which the problem was detected and
 * what was expected versus what was found. For compressed inputs (gzip IDX files, tar.gz archives,
 * {@code miCOMPRESSED} MAT elements) the offset is counted in the decompressed stream, as the message says.
 */
public class DatasetFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long offset;
    private final String expected;
    private final String found;

    /**
     * @param file     the file (or file plus archive entry) being read
     * @param offset   byte offset where the problem was detected
     * @param expected what the format requires at that point
     * @param found    what the file contained instead
     */
    public DatasetFormatException(String file, long offset, String expected, String found) {
        super(file + ": at byte offset " + offset + ": expected " + expected + ", found " + found);
        this.file = file;
        this.offset = offset;
        this.expected = expected;
        this.found = found;
    }

    /**
     * A format problem detected through a lower-level exception (a corrupt gzip/zlib stream, a bad zip entry, a
     * malformed character encoding); {@code found} should describe it, the cause is kept.
     */
    public DatasetFormatException(String file, long offset, String expected, String found, Throwable cause) {
        this(file, offset, expected, found);
        initCause(cause);
    }

    /** The file named in the message. */
    public String file() { return file; }

    /** The byte offset named in the message. */
    public long offset() { return offset; }

    /** What was expected. */
    public String expected() { return expected; }

    /** What was found. */
    public String found() { return found; }
}
