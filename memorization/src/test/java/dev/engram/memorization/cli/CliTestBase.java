package dev.engram.memorization.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code engram} in-process and keeps what the last command printed on standard output and standard error. */
abstract class CliTestBase {
    /** Standard output of the last {@link #engram} call. */
    protected final StringWriter out = new StringWriter();
    /** Standard error of the last {@link #engram} call. */
    protected final StringWriter err = new StringWriter();

    /** Runs one command line and returns its exit code. */
    protected int engram(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }
}
