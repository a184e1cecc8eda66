package dev.engram.engine.cuda;

import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.libraryPropertyType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bundled {@code libcublas.so.12} forwarding shim, end to end without a GPU: a stand-in
 * {@code libcublas.so.13} (three functions, compiled here with the system C compiler) is loaded,
 * then the shim extracted by {@link CublasShim}, then JCublas 12.6's real native library, in a
 * fresh JVM. JCublas calls must reach the stand-in; a function it lacks must return
 * CUBLAS_STATUS_NOT_SUPPORTED. Skipped when no C compiler exists.
 */
class CublasShimTest {
    private static final String FAKE_CUBLAS13 = """
            int cublasGetProperty(int type, int *value) { *value = type == 0 ? 13 : type == 1 ? 1 : 77; return 0; }
            int cublasCreate_v2(void **handle) { *handle = (void *)0x1234; return 0; }
            int cublasGetVersion_v2(void *handle, int *version) { *version = handle == (void *)0x1234 ? 130177 : -1; return 0; }
            """;

    private static String compiler() {
        for (String c : new String[] {System.getenv("CC"), "cc", "gcc", "clang"}) {
            if (c == null || c.isEmpty()) continue;
            try {
                Process p = new ProcessBuilder(c, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) return c;
            } catch (IOException | InterruptedException e) {
                // try the next one
            }
        }
        return null;
    }

    private static String run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + cmd).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + " exit status; output:\n" + out).isZero();
        return out;
    }

    @Test
    void jcublasReachesCublas13ThroughTheBundledShim(@TempDir Path tmp) throws Exception {
        String cc = compiler();
        Assumptions.assumeTrue(cc != null, "no C compiler (cc, gcc, clang or $CC) to build the stand-in libcublas.so.13");
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64"), "the shim is x86-64 Linux only");
        Files.writeString(tmp.resolve("fake.c"), FAKE_CUBLAS13);
        Files.writeString(tmp.resolve("fake.map"), "libcublas.so.13 { global: cublas*; local: *; };\n");
        run(List.of(cc, "-shared", "-fPIC", "-o", "libcublas.so.13", "fake.c", "-Wl,-soname,libcublas.so.13",
                "-Wl,--version-script=fake.map"), tmp);

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Probe.class.getName(),
                tmp.resolve("libcublas.so.13").toString()));
        String out = run(cmd, tmp);
        assertThat(out).contains("version 13.1.77").contains("create 0").contains("handle version 130177")
                .contains("destroy 15");
    }

    @Test
    void theShippedShimIsBuiltFromTheCommittedSource(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(compiler() != null, "no C compiler to rebuild the shim");
        // builds from src/main/native and checks the exported names against cublas12.symbols
        String out = run(List.of("bash", Path.of("build-cublas-shim.sh").toAbsolutePath().toString(), "--check"), tmp);
        assertThat(out).contains("compiled OK, 649 names");
        assertThat(CublasShim.class.getResource(CublasShim.RESOURCE)).as("shim resource on the class path").isNotNull();
    }

    /** Runs in the forked JVM: loads the stand-in cuBLAS 13, the shim, then calls through JCublas2. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            System.load(args[0]);
            System.load(CublasShim.extract().toString());
            JCublas2.setExceptionsEnabled(false);
            int[] major = new int[1], minor = new int[1], patch = new int[1];
            JCublas2.cublasGetProperty(libraryPropertyType.MAJOR_VERSION, major);
            JCublas2.cublasGetProperty(libraryPropertyType.MINOR_VERSION, minor);
            JCublas2.cublasGetProperty(libraryPropertyType.PATCH_LEVEL, patch);
            System.out.println("version " + major[0] + "." + minor[0] + "." + patch[0]);
            cublasHandle h = new cublasHandle();
            System.out.println("create " + JCublas2.cublasCreate(h));
            int[] v = new int[1];
            JCublas2.cublasGetVersion(h, v);
            System.out.println("handle version " + v[0]);
            System.out.println("destroy " + JCublas2.cublasDestroy(h)); // absent from the stand-in: the shim's stub
        }
    }
}
