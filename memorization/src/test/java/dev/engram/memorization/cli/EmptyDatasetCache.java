package dev.engram.memorization.cli;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Points {@code engram.data} at an empty folder for each test (so that no command finds, or fetches, a real dataset)
 * and restores the property afterwards. Register with {@code @RegisterExtension}.
 */
final class EmptyDatasetCache implements BeforeEachCallback, AfterEachCallback {
    private static final String PROPERTY = "engram.data";
    private String saved;
    private Path dir;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        saved = System.getProperty(PROPERTY);
        dir = Files.createTempDirectory("engram-empty-cache");
        System.setProperty(PROPERTY, dir.toString());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (saved == null) System.clearProperty(PROPERTY);
        else System.setProperty(PROPERTY, saved);
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
