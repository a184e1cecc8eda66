package dev.engram.memorization.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs sweep tasks on this machine: one after another in this process, or {@code parallel} at a time, each in its own
 * process ({@code engram sweep run-task}) with its own CPU thread budget, so that the runs do not share the engine's
 * global settings. A failed task does not stop the others.
 */
public final class LocalExecutor {
    private LocalExecutor() { }

    /**
     * Runs the tasks {@code indices} of {@code sweep}.
     *
     * @param parallel      tasks at once (1 = sequentially in this process)
     * @param threadsPerRun CPU threads of each task (0 = the run's configuration; with {@code parallel > 1}, 0 means
     *                      the available cores divided by {@code parallel})
     * @param launcher      how to start Engram in a child process (used when {@code parallel > 1})
     * @return the indices of the tasks that failed
     */
    public static List<Integer> run(Sweep sweep, List<Integer> indices, int parallel, int threadsPerRun,
                                    Commands commands, Launcher launcher, PrintWriter out) throws IOException {
        if (parallel < 1) throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
        List<Integer> failed = new ArrayList<>();
        if (parallel == 1) {
            int i = 0;
            for (int index : indices) {
                out.printf("[%d/%d] task %d%n", ++i, indices.size(), index);
                out.flush();
                if (SweepTask.run(sweep, index, threadsPerRun, commands, out) != 0) failed.add(index);
            }
            return failed;
        }
        int threads = threadsPerRun > 0 ? threadsPerRun : Math.max(1, Runtime.getRuntime().availableProcessors() / parallel);
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<Integer>> codes = new ArrayList<>();
            for (int index : indices) {
                codes.add(pool.submit(() -> child(sweep, index, threads, launcher, out)));
            }
            for (int k = 0; k < indices.size(); k++) {
                int code;
                try {
                    code = codes.get(k).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for sweep tasks", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IOException("sweep task " + indices.get(k) + " could not run: " + e.getCause().getMessage(), e.getCause());
                }
                if (code != 0) failed.add(indices.get(k));
            }
        } finally {
            pool.shutdownNow();
        }
        return failed;
    }

    private static int child(Sweep sweep, int index, int threads, Launcher launcher, PrintWriter out)
            throws IOException, InterruptedException {
        SweepRun run = sweep.run(index);
        Path console = sweep.logFile(run).resolveSibling(run.name() + ".out");
        Files.createDirectories(console.getParent());
        List<String> cmd = launcher.command(List.of("sweep", "run-task", sweep.dir().toString(), "--index",
                Integer.toString(index), "--threads", Integer.toString(threads)));
        synchronized (out) {
            out.println(run.name() + ": started (" + threads + " threads)");
            out.flush();
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile())).start();
        int code = p.waitFor();
        synchronized (out) {
            out.println(run.name() + (code == 0 ? ": done" : ": failed (exit code " + code + "); log "
                    + sweep.logFile(run) + ", output " + console));
            out.flush();
        }
        return code;
    }
}
