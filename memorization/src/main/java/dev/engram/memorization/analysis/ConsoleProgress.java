package dev.engram.memorization.analysis;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;

/**
 * Progress printed for a person: lines to {@code out}; tasks as a live progress bar with elapsed time and ETA
 * (me.tongfei progressbar) when standard output is a terminal and {@code CI} is unset, else as plain periodic lines
 * ({@link PlainTask}).
 */
public final class ConsoleProgress implements Progress {
    private final PrintWriter out;
    private final boolean bar;

    /** Lines to {@code out}; a bar for tasks when {@code bar}. */
    public ConsoleProgress(PrintWriter out, boolean bar) {
        this.out = out;
        this.bar = bar;
    }

    /** Lines to {@code out}; a bar when the process has a terminal and {@code CI} is not set. */
    public static ConsoleProgress of(PrintWriter out) {
        return new ConsoleProgress(out, System.console() != null && System.getenv("CI") == null);
    }

    /** Whether tasks are shown as a live bar. */
    public boolean bar() {
        return bar;
    }

    @Override
    public void line(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public Task task(String name, long total) {
        if (!bar) return new PlainTask(this, name, total);
        ProgressBar pb = new ProgressBarBuilder().setTaskName(name).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).build();
        return new Task() {
            @Override public void stepBy(long n) {
                pb.stepBy(n);
            }

            @Override public void stepTo(long done) {
                pb.stepTo(done);
            }

            @Override public void close() {
                pb.close();
            }
        };
    }
}
