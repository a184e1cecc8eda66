package dev.engram.memorization.cli;

import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.RunFolderTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exit code 2 for every bad option value, whether picocli or the command's own validation rejects it; exit code 1
 * for a failure while a command runs, an {@link IllegalArgumentException} included.
 */
class UsageErrorsTest extends CliTestBase {
    @TempDir
    Path tmp;
    @RegisterExtension
    final EmptyDatasetCache emptyCache = new EmptyDatasetCache();

    private String[] args(String line) {
        List<String> a = new ArrayList<>();
        for (String w : line.split(" ")) a.add(w.replace("RUN", tmp.resolve("run").toString()));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "flip --run RUN --noisy -5 --force",
        "flip --run RUN --shard 3/2 --force",
        "checkpoint-scores --run RUN --shard 0/2",
        "rewind --run RUN --threads -1 --force",
        "rewind --run RUN --device tpu",
        "rewind --run RUN --bn sideways",
        "localize --run RUN --methods foo --force",
        "doctor --threads -2",
        "train --run RUN --model foo --offline",
        "train --run RUN --examples -5 --model mlp --offline",
        "train --run RUN --epochs 0 --model mlp --offline",
        "train --run RUN --preset nope --offline",
        "train --run RUN --model mlp --asam --offline",
        "etd --run RUN --grid 0.2-0.1",
        "etd --run RUN --grid 1.5:0.1",
        "merge --run RUN --analysis rewinding",
        "sparse-double-descent --run RUN --sparsities 0.5 --rounds 3",
    })
    void aBadOptionValueIsAUsageError(String line) {
        int code = engram(args(line));
        assertThat(code).as(line + "\n" + err).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).as(line).contains("engram " + line.split(" ")[0] + ": error:").doesNotContain("\tat ");
        assertThat(out.toString()).as(line + ": nothing runs").isEmpty();
        assertThat(tmp.resolve("run")).as(line + ": nothing is written").doesNotExist();
    }

    @Test
    void usageErrorsNameTheOptionTheUserGave() {
        assertThat(engram(args("train --run RUN --model foo --offline"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--model foo").contains("expected one of").doesNotContain("--preset");
        assertThat(engram(args("train --run RUN --examples -5 --model mlp --offline"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--examples -5").contains(">= 0");
        assertThat(engram(args("train --run RUN --epochs 0 --model mlp --offline"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--epochs 0").contains(">= 1");
        assertThat(engram(args("flip --run RUN --noisy -5"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--noisy must be >= 0, got -5");
        assertThat(engram(args("flip --run RUN --checkpoint -1"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--checkpoint must be an epoch >= 0, got -1");
        assertThat(engram(args("flip --run RUN --shard 3/2"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--shard '3/2'");
        assertThat(engram(args("train --run RUN --preset nope --offline"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--preset").contains("nope");
        assertThat(engram(args("etd --run RUN --grid 0.2:0.1,1.5:0.1"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--grid entry '1.5:0.1'").contains("PGEN must be in (0, 1]");
    }

    @Test
    void aBadValueInAConfigFileNamesTheFile() throws IOException {
        Path yaml = Files.writeString(tmp.resolve("c.yaml"), "model: foo\n");
        assertThat(engram("train", "--run", tmp.resolve("run").toString(), "--config", yaml.toString(), "--offline"))
                .isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains(yaml.toString()).contains("'model' is foo").doesNotContain("--preset")
                .doesNotContain("--model");
    }

    /** A command whose work throws what it is given. */
    @CommandLine.Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        final RuntimeException ex;

        Boom(RuntimeException ex) {
            this.ex = ex;
        }

        @Override
        public Integer call() {
            throw ex;
        }
    }

    private int runBoom(RuntimeException ex) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cl = EngramCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        cl.addSubcommand("boom", new Boom(ex));
        cl.setOut(new PrintWriter(out, true)); // to the new subcommand too
        cl.setErr(new PrintWriter(err, true));
        return cl.execute("boom");
    }

    @Test
    void anIllegalArgumentWhileACommandRunsIsAFailureNotAUsageError() {
        assertThat(runBoom(new IllegalArgumentException("shapes [2, 3] and [4] do not match"))).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("engram boom: error: shapes [2, 3] and [4] do not match");
        assertThat(runBoom(new UsageException("--x must be >= 1"))).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("engram boom: error: --x must be >= 1");
        assertThatThrownBy(() -> UsageException.validate(() -> {
            throw new IllegalArgumentException("bad");
        })).isInstanceOf(UsageException.class).hasMessage("bad");
        assertThatThrownBy(() -> UsageException.validate("--y", () -> {
            throw new IllegalArgumentException("bad");
        })).isInstanceOf(UsageException.class).hasMessage("--y: bad");
    }

    /** A command whose work runs out of heap. */
    @CommandLine.Command(name = "oom")
    static final class OutOfMemory implements Callable<Integer> {
        @CommandLine.Option(names = "--batch-size")
        int batchSize;

        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void runningOutOfHeapIsAFailureThatSaysHowToGiveTheJvmMoreMemory() {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cl = EngramCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        cl.addSubcommand("oom", new OutOfMemory());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("oom", "--batch-size", "512")).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("engram oom: error: out of memory (Java heap space")
                .contains("ENGRAM_JAVA_OPTS=-Xmx").contains("lower --batch-size").doesNotContain("\tat ");
        assertThat(EngramCli.outOfMemoryMessage(new OutOfMemoryError(), 3L << 30, false))
                .contains("at most 3072 MiB").doesNotContain("--batch-size");
        assertThat(EngramCli.outOfMemoryMessage(new OutOfMemoryError("Requested array size exceeds VM limit"), 3L << 30,
                true)).contains("Requested array size exceeds VM limit").doesNotContain("-Xmx").contains("--batch-size");
    }

    @Test
    void aMissingRunIsStillAFailure() {
        assertThat(engram(args("rewind --run RUN"))).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).contains("does not exist");
    }

    // ---- --run naming a file --------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {
        "train --run FILE --model mlp --epochs 1 --examples 64 --offline",
        "train --run FILE --resume",
        "rewind --run FILE",
        "flip --run FILE --force",
        "report --run FILE",
        "import --run FILE --weights FILE --dataset mnist --model mlp",
        "rewind --run FILE/sub",
    })
    void aRunThatIsAFileIsAUsageErrorBeforeAnythingElse(String line) throws IOException {
        Path file = Files.writeString(tmp.resolve("afile"), "not a run");
        String[] a = line.replace("FILE", file.toString()).split(" ");
        int code = engram(a);
        assertThat(code).as(line + "\n" + err).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).as(line).contains("--run").contains("afile").contains("is a file, not a folder")
                .doesNotContain("does not exist");
        assertThat(out.toString()).as(line + ": no estimate, nothing at all").isEmpty();
        assertThat(Files.readString(file)).isEqualTo("not a run");
    }

    @Test
    void openingAFileAsARunSaysItIsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        assertThatThrownBy(() -> RunFolder.open(file)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("is a file, not a folder");
        RunFolderTestSupport.newRun(tmp.resolve("ok"), 0.1);
        assertThat(RunFolder.open(tmp.resolve("ok")).dir()).isEqualTo(tmp.resolve("ok"));
    }
}
