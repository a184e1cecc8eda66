package dev.engram.memorization.run;

import java.io.IOException;
import java.nio.file.Path;

/** Creates small run folders for tests in other packages. */
public final class RunFolderTestSupport {
    private RunFolderTestSupport() { }

    /** A run of 200 examples (labels i mod 10) with the given noise fraction, demo config. */
    public static RunFolder newRun(Path dir, double noise) throws IOException {
        return RunFolderTest.newRun(dir, noise);
    }
}
