package dev.engram.engine.cuda;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gpu-run.sh} with a stand-in {@code java} on the PATH: it runs the doctor, the native tests and the
 * benchmarks, and passes {@code --add-modules jdk.incubator.vector} exactly when the runtime lists that module
 * (a jlinked runtime may not, and then the JVM would refuse to start).
 */
class GpuRunScriptTest {
    private static final String FAKE_JAVA = """
            #!/bin/bash
            if [ "$1" = "--list-modules" ]; then printf '%s\\n' $FAKE_MODULES; exit 0; fi
            echo "$*" >> "$FAKE_LOG"
            """;

    @ParameterizedTest(name = "vector module present: {0}")
    @ValueSource(booleans = {true, false})
    void addsTheVectorModuleOnlyWhenTheRuntimeHasIt(boolean present, @TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin")), run = tmp.resolve("run");
        Files.writeString(bin.resolve("java"), FAKE_JAVA);
        Files.setPosixFilePermissions(bin.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(run.resolve("classes"));
        Files.createDirectories(run.resolve("lib"));
        Files.createDirectories(run.resolve("junit"));
        Files.writeString(run.resolve("lib/a.jar"), "");
        Files.writeString(run.resolve("junit/junit-platform-console-standalone-1.jar"), "");
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("gpu-run.sh").toAbsolutePath().toString())
                .directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.environment().put("RUN", run.toString());
        pb.environment().put("BUNDLE", tmp.resolve("no-bundle").toString());
        pb.environment().put("OUT", tmp.resolve("out").toString());
        pb.environment().put("FAKE_LOG", tmp.resolve("java.log").toString());
        pb.environment().put("FAKE_MODULES", present ? "java.base@17 jdk.incubator.vector@17" : "java.base@17 jdk.unsupported@17");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> calls = Files.readAllLines(tmp.resolve("java.log"));
        // the doctor, the native tests, then the five ResNet-9 benchmark runs (fp32, TF32, timed algorithms
        // fp32 and TF32, per-example norms)
        assertThat(calls).as("java invocations; script output:\n" + out).hasSize(7);
        assertThat(calls.get(0)).contains("dev.engram.engine.cuda.CudaDoctor");
        assertThat(calls.get(1)).contains("junit-platform-console-standalone");
        for (String bench : calls.subList(2, 7)) assertThat(bench).contains("dev.engram.bench.StepBenchmark --device cuda:0");
        assertThat(calls.get(6)).endsWith("--only resnet9paper_norms");
        for (String call : calls) {
            if (present) assertThat(call).contains("--add-modules jdk.incubator.vector");
            else assertThat(call).doesNotContain("jdk.incubator.vector");
        }
    }
}
