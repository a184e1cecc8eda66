package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    @Test
    void plainLinesCarryElapsedTimeAndAnEtaFromTheAverageStep() {
        List<String> lines = new ArrayList<>();
        AtomicLong now = new AtomicLong(0);
        PlainTask t = new PlainTask(lines::add, "rewinding", 10, now::get, 10_000);
        now.set(3_000_000_000L); // 3 s
        t.stepTo(1);
        assertThat(lines).as("nothing before the interval").isEmpty();
        now.set(12_000_000_000L); // 12 s for 4 steps: 3 s a step, 6 steps left
        t.stepTo(4);
        assertThat(lines).containsExactly("rewinding: 4/10 (40%), elapsed 12 s, ETA 18 s");
        now.set(15_000_000_000L);
        t.step();
        assertThat(lines).as("throttled").hasSize(1);
        now.set(200_000_000_000L);
        t.stepBy(5);
        assertThat(lines).hasSize(2).last().isEqualTo("rewinding: 10/10 (100%), elapsed 3 min 20 s, done");
        t.close();
        assertThat(lines).as("closing a finished task prints nothing more").hasSize(2);
    }

    @Test
    void formatting() {
        assertThat(PlainTask.line("x", 0, 5, 2_000_000_000L)).isEqualTo("x: 0/5 (0%), elapsed 2 s, ETA unknown");
        assertThat(PlainTask.line("x", 1, 3, 3_700_000_000_000L)).isEqualTo("x: 1/3 (33%), elapsed 1 h 01 min, ETA 2 h 03 min");
        assertThat(PlainTask.duration(Double.NaN)).isEqualTo("unknown");
        assertThat(PlainTask.duration(65)).isEqualTo("1 min 05 s");
    }

    @Test
    void noneIgnoresTasksAndALambdaGetsPlainLines() {
        assertThat(Progress.NONE.task("x", 3)).isSameAs(Progress.Task.NONE);
        Progress.Task.NONE.step(); // counts nothing, refuses nothing
        Progress.Task.NONE.stepBy(5);
        List<String> lines = new ArrayList<>();
        Progress p = lines::add;
        try (Progress.Task t = p.task("etd", 2)) {
            t.step();
            t.step();
        }
        assertThat(lines).hasSize(1).first().asString().startsWith("etd: 2/2 (100%), elapsed ").endsWith(", done");
    }

    @Test
    void consoleWithoutATerminalPrintsPlainLines() {
        StringWriter s = new StringWriter();
        ConsoleProgress c = new ConsoleProgress(new PrintWriter(s), false);
        c.line("hello");
        try (Progress.Task t = c.task("flip", 1)) {
            t.step();
        }
        assertThat(s.toString()).startsWith("hello" + System.lineSeparator() + "flip: 1/1 (100%), elapsed ");
    }
}
