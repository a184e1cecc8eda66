package dev.engram.memorization.analysis;

import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** How a finished analysis' files reach their folder ({@link Analyses#publish}). */
class PublishTest {
    @TempDir
    Path tmp;

    private static Path staging(Path dir, String results) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(RunFolder.RESULTS), results);
        Files.writeString(dir.resolve("a.csv"), "new a");
        Files.writeString(dir.resolve("z.png"), "new z");
        return dir;
    }

    @Test
    void aNewFolderAppearsWholeInOneRename() throws IOException {
        Path staging = staging(tmp.resolve(".rewinding.staging-1"), "{\"v\":2}");
        Path target = tmp.resolve("rewinding");
        Analyses.publish(staging, target);
        assertThat(staging).doesNotExist();
        try (Stream<Path> s = Files.list(target)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(RunFolder.RESULTS, "a.csv", "z.png");
        }
    }

    @Test
    void intoAFolderWithOtherFilesTheNewFilesReplaceTheirNamesakesAndTheOthersStay() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("grad-accounting"));
        Files.writeString(target.resolve("during-training.csv"), "kept");
        Files.writeString(target.resolve("a.csv"), "old a");
        Files.writeString(target.resolve(RunFolder.RESULTS), "{\"v\":1}");
        Path staging = staging(tmp.resolve(".grad-accounting.staging-1"), "{\"v\":2}");
        Analyses.publish(staging, target);
        assertThat(target.resolve("during-training.csv")).hasContent("kept");
        assertThat(target.resolve("a.csv")).hasContent("new a");
        assertThat(target.resolve(RunFolder.RESULTS)).hasContent("{\"v\":2}");
        try (Stream<Path> s = Files.list(staging)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void theStagingFolderThatBecomesTheResultHasTheUsualPermissionsNotATemporaryDirectorysOwnerOnlyOnes() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.createDirectory(tmp.resolve("plain")); // what the umask gives a folder
        Path staging = Analyses.newStagingFolder(tmp, "rewinding");
        assertThat(staging.getFileName().toString()).startsWith(".rewinding.staging-");
        assertThat(Files.getPosixFilePermissions(staging)).isEqualTo(Files.getPosixFilePermissions(plain));
        assertThat(Analyses.newStagingFolder(tmp, "rewinding")).isNotEqualTo(staging);
    }
}
