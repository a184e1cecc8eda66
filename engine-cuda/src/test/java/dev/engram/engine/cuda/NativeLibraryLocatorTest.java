package dev.engram.engine.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Library discovery over fake directory trees: order, symlinked versions, ldconfig output. */
class NativeLibraryLocatorTest {
    @Test
    void firstDirectoryWinsAndVersionComesFromTheSymlinkTarget(@TempDir Path tmp) throws IOException {
        Path override = Files.createDirectories(tmp.resolve("override"));
        Path toolkit = Files.createDirectories(tmp.resolve("cuda/lib64"));
        Files.writeString(toolkit.resolve("libcublas.so.12.6.4.1"), "x");
        Files.createSymbolicLink(toolkit.resolve("libcublas.so.12"), toolkit.resolve("libcublas.so.12.6.4.1"));
        Files.writeString(override.resolve("libcudnn.so.9"), "x");
        Files.writeString(toolkit.resolve("libcudnn.so.9"), "x");
        NativeLibraryLocator loc = new NativeLibraryLocator(List.of(override, toolkit), Map.of());

        var cublas = loc.find("libcublas.so.12").orElseThrow();
        assertThat(cublas.path().getFileName().toString()).isEqualTo("libcublas.so.12.6.4.1");
        assertThat(cublas.version()).isEqualTo("12.6.4.1");
        assertThat(loc.find("libcudnn.so.9").orElseThrow().path().getParent()).isEqualTo(override.toRealPath());
        assertThat(loc.find("libcuda.so.1")).isEmpty();
    }

    @Test
    void fallsBackToTheLdconfigCache(@TempDir Path tmp) throws IOException {
        Path lib = Files.writeString(tmp.resolve("libcuda.so.580.65.06"), "x");
        Path link = Files.createSymbolicLink(tmp.resolve("libcuda.so.1"), lib);
        String ldconfig = "3 libs found in cache `/etc/ld.so.cache'\n"
                + "\tlibcuda.so.1 (libc6,x86-64) => " + link + "\n"
                + "\tlibcuda.so.1 (libc6) => /usr/lib32/libcuda.so.1\n"
                + "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1\n";
        Map<String, Path> cache = NativeLibraryLocator.parseLdconfig(ldconfig);
        assertThat(cache).containsEntry("libcuda.so.1", link).hasSize(2);
        NativeLibraryLocator loc = new NativeLibraryLocator(List.of(tmp.resolve("missing")), cache);
        var driver = loc.find("libcuda.so.1").orElseThrow();
        assertThat(driver.version()).isEqualTo("580.65.06");
        assertThat(loc.searchedDescription()).contains("ldconfig cache (2 entries)").contains("ENGRAM_CUDA_LIB_PATH");
    }

    @Test
    void siblingFindsCompanionLibrariesInTheSameDirectory(@TempDir Path tmp) throws IOException {
        Path wheel = Files.createDirectories(tmp.resolve("site-packages/nvidia/cu13/lib"));
        Files.writeString(wheel.resolve("libcublas.so.13"), "x");
        Files.writeString(wheel.resolve("libcublasLt.so.13"), "x");
        NativeLibraryLocator loc = new NativeLibraryLocator(List.of(wheel), Map.of());
        var cublas = loc.find("libcublas.so.13").orElseThrow();
        assertThat(NativeLibraryLocator.sibling(cublas, "libcublasLt.so.13")).isPresent();
        assertThat(NativeLibraryLocator.sibling(cublas, "libcublasLt.so.12")).isEmpty();
        assertThat(cublas.version()).isEqualTo("13");
    }
}
