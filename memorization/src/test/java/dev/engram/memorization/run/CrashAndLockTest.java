package dev.engram.memorization.run;

import dev.engram.engine.Tensor;
import dev.engram.memorization.train.EpochRecords;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Training killed with SIGKILL at random moments (in child JVMs), then resumed, ends bit-identical to an uninterrupted
 * run with no corrupt or left-over file; and the run folder's one-writer lock, across threads and processes.
 */
class CrashAndLockTest {
    @TempDir
    Path tmp;

    private static int runToEnd(Path dir) throws Exception {
        Process p = ChildRun.command("train", dir).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return p.exitValue();
    }

    @Test
    void killedAtRandomMomentsThenResumedEndsBitIdentical() throws Exception {
        Path whole = tmp.resolve("whole"), cut = tmp.resolve("cut");
        runToEnd(whole);
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int kills = 0;
        for (int attempt = 0; attempt < 12; attempt++) {
            Process p = ChildRun.command("train", cut).start();
            java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
            Thread drain = new Thread(() -> {
                try {
                    p.getInputStream().transferTo(log);
                } catch (java.io.IOException ignored) {
                    // the process was killed
                }
            });
            drain.start();
            long delay = 300 + rnd.nextLong(2500);
            if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly(); // SIGKILL on Linux
                p.waitFor();
                kills++;
                drain.join();
                continue;
            }
            drain.join();
            assertThat(p.exitValue()).as("child run after " + kills + " kills (seed " + seed + "): "
                    + log.toString(StandardCharsets.UTF_8)).isZero();
            break;
        }
        if (!Files.exists(cut.resolve("analyses/training").resolve(EpochRecords.PER_EXAMPLE))) {
            runToEnd(cut); // finish without further kills
        }
        System.out.println("crash test: " + kills + " kills (seed " + seed + "), checkpoints "
                + Checkpoint.epochs(cut.resolve(RunFolder.CHECKPOINTS)));
        assertThat(kills).as("kills (seed " + seed + ")").isPositive();
        RunFolder a = RunFolder.open(whole), b = RunFolder.open(cut);
        Map<String, Tensor> wa = SafeTensors.load(a.checkpointPath(8)), wb = SafeTensors.load(b.checkpointPath(8));
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        for (String k : wa.keySet()) {
            assertThat(wb.get(k).toFloatArray()).as(k + " (seed " + seed + ", " + kills + " kills)")
                    .containsExactly(wa.get(k).toFloatArray());
        }
        Path pa = whole.resolve("analyses/training").resolve(EpochRecords.PER_EXAMPLE);
        Path pb = cut.resolve("analyses/training").resolve(EpochRecords.PER_EXAMPLE);
        assertThat(SafeTensors.load(pb).get("loss").toFloatArray()).containsExactly(SafeTensors.load(pa).get("loss").toFloatArray());
        try (Stream<Path> s = Files.walk(cut)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))).as("left-over files").isEmpty();
        }
    }

    @Test
    void aSecondWriterIsRefusedNamingTheHolderAndADeadHoldersLockIsTakenOver() throws Exception {
        Path dir = tmp.resolve("locked");
        Process holder = ChildRun.command("hold", dir).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.contains("locked")) {
                // skip JVM warnings
            }
            assertThat(line).as("holder started").isEqualTo("locked");
            assertThatThrownBy(() -> RunLock.acquire(dir, "second writer")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pid " + holder.pid()).hasMessageContaining("lock-holder test");
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
        try (RunLock lock = RunLock.acquire(dir, "after the holder died")) {
            assertThat(Files.readString(dir.resolve(RunLock.FILE))).contains("after the holder died");
        }
    }

    @Test
    void theLockNestsOnOneThreadAndRefusesAnother() throws Exception {
        Path dir = tmp.resolve("threads");
        try (RunLock outer = RunLock.acquire(dir, "outer")) {
            try (RunLock inner = RunLock.acquire(dir, "inner")) {
                assertThat(inner).isSameAs(outer);
            }
            Throwable[] seen = new Throwable[1];
            Thread t = new Thread(() -> {
                try {
                    RunLock.acquire(dir, "other thread").close();
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            t.start();
            t.join();
            assertThat(seen[0]).isInstanceOf(IllegalStateException.class).hasMessageContaining("outer");
        }
        RunLock.acquire(dir, "again").close(); // released after the outer close
    }
}
