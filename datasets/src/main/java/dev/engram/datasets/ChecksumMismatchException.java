package dev.engram.datasets;

import java.io.IOException;

/** Downloaded or cached bytes do not have the catalogued SHA-256; the message names both hashes. */
public class ChecksumMismatchException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String expected;
    private final String actual;

    /** @param file what was checked  @param source where the bytes came from  @param expected catalogued hash  @param actual computed hash */
    public ChecksumMismatchException(String file, String source, String expected, String actual) {
        super("SHA-256 mismatch for " + file + " (from " + source + "): expected " + expected + ", actual " + actual);
        this.expected = expected;
        this.actual = actual;
    }

    /** The catalogued hash. */
    public String expected() { return expected; }

    /** The computed hash. */
    public String actual() { return actual; }
}
