package dev.engram.memorization.cli;

import dev.engram.engine.cpu.CpuParallel;
import dev.engram.memorization.run.RunFolderTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EngramCliTest {
    @TempDir
    Path tmp;

    private final int threadsBefore = CpuParallel.threads();

    @AfterEach
    void restoreThreads() {
        CpuParallel.setThreads(threadsBefore);
    }

    record Result(int code, String out, String err) { }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void topLevelHelpListsTheSubcommands() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: engram").contains("doctor").contains("report");
        Result none = run();
        assertThat(none.code()).isEqualTo(2); // no command is a usage error
        assertThat(none.err()).contains("Usage: engram");
        assertThat(r.out()).contains("Exit codes").contains("usage error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"doctor", "report"})
    void everySubcommandHasHelp(String sub) {
        Result r = run(sub, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: engram " + sub).contains("--help");
    }

    @Test
    void everyRegisteredSubcommandAnswersHelp() {
        var cl = EngramCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        for (String name : cl.getSubcommands().keySet()) {
            if (name.equals("help")) continue;
            assertThat(run(name, "--help").code()).as(name).isZero();
        }
    }

    @Test
    void doctorReportsTheEnvironment() {
        Result r = run("doctor", "--threads", "1");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Java").contains(System.getProperty("java.version")).contains("Vector API")
                .contains("logical processors").contains("Engram CPU threads   1").contains("mnist")
                .contains("CUDA").contains("cuda:0");
        int verdict = r.out().indexOf("CUDA: unavailable: ");
        if (verdict >= 0) {
            // the reason (often a long library search path) is printed once, as the diagnosis' verdict
            String reason = r.out().substring(verdict + "CUDA: unavailable: ".length()).lines().findFirst().orElseThrow();
            assertThat(r.out().split(java.util.regex.Pattern.quote(reason), -1)).as(reason).hasSize(2);
        }
        assertThat(CpuParallel.threads()).isEqualTo(1);
    }

    @Test
    void doctorDescribesDatasetFiles() throws IOException {
        Path cache = tmp.resolve("cache");
        Files.createDirectories(cache.resolve("mnist"));
        Files.writeString(cache.resolve("mnist/train-images-idx3-ubyte.gz"), "x");
        Files.writeString(cache.resolve("mnist/train-labels-idx1-ubyte.gz"), "x");
        List<String> names = DoctorCommand.expectedFiles().get("mnist");
        assertThat(DoctorCommand.datasetStatus(cache, "mnist", names)).startsWith("partial")
                .contains("train-labels-idx1-ubyte.gz").contains("missing t10k-images-idx3-ubyte");
        // a truncated raw file is not "complete": its size is not the published one
        Files.write(cache.resolve("mnist/t10k-labels-idx1-ubyte"), new byte[100]);
        assertThat(DoctorCommand.datasetStatus(cache, "mnist", names))
                .startsWith("damaged: t10k-labels-idx1-ubyte has 100 bytes, expected 10008");
        assertThat(DoctorCommand.datasetStatus(cache, "svhn", List.of("train_32x32.mat"))).startsWith("not downloaded");
    }

    @Test
    void reportWritesHtmlIntoTheRun() throws IOException {
        Path dir = tmp.resolve("run");
        RunFolderTestSupport.newRun(dir, 0.1);
        Result r = run("report", "--run", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("report.html");
        assertThat(dir.resolve("report.html")).isRegularFile();
    }

    @Test
    void failuresGiveExitCodeOneAndAClearMessage() {
        Result r = run("report", "--run", tmp.resolve("missing").toString());
        assertThat(r.code()).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(r.err()).contains("engram report: error:").contains("missing").contains("engram train")
                .doesNotContain("\tat ");
        Result traced = run("report", "--stacktrace", "--run", tmp.resolve("missing").toString());
        assertThat(traced.err()).contains("\tat ");
    }

    @Test
    void usageErrorsGiveExitCodeTwo() {
        assertThat(run("no-such-command").code()).isEqualTo(2);
        Result r = run("report");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--run=DIR'");
        Result badThreads = run("doctor", "--threads", "-2");
        assertThat(badThreads.code()).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(badThreads.err()).contains("--threads must be >= 0");
        Result badDevice = run("doctor", "--device", "tpu");
        assertThat(badDevice.code()).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(badDevice.err()).contains("--device").contains("bad device 'tpu'");
    }
}
