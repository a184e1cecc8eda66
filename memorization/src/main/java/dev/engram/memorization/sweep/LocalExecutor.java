package dev.engram.memorization.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs sweep tasks ({@link Piece}s) on this machine: one after another in this process, or {@code parallel} at a
 * time, each in its own process ({@code engram sweep run-task}) with its own CPU thread budget, so that the tasks do
 * not share the engine's global settings. A piece starts once the pieces of its run it waits for are done (a
 * fanned-out run: its run task, then its shard tasks, in parallel when there is room, then its merge); the tasks of
 * earlier runs go first. A failed task does not stop the others; the pieces waiting for it are not run.
 */
public final class LocalExecutor {
    private LocalExecutor() { }

    /**
     * What happened to the pieces.
     *
     * @param failed  the pieces whose task failed
     * @param skipped the pieces not run because a piece they wait for failed
     */
    public record Outcome(List<Piece> failed, List<Piece> skipped) {
        /** Every piece ran and succeeded. */
        public boolean ok() {
            return failed.isEmpty() && skipped.isEmpty();
        }
    }

    /**
     * Runs the pieces {@code pieces} of {@code sweep}.
     *
     * @param parallel      tasks at once (1 = sequentially in this process)
     * @param threadsPerRun CPU threads of each task (0 = the run's configuration; with {@code parallel > 1}, 0 means
     *                      the available cores divided by {@code parallel})
     * @param launcher      how to start Engram in a child process (used when {@code parallel > 1})
     */
    public static Outcome run(Sweep sweep, List<Piece> pieces, int parallel, int threadsPerRun,
                              Commands commands, Launcher launcher, PrintWriter out) throws IOException {
        if (parallel < 1) throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
        TreeSet<Piece> waiting = new TreeSet<>(pieces);
        int total = waiting.size();
        List<Piece> failed = new ArrayList<>(), skipped = new ArrayList<>();
        int threads = parallel == 1 ? threadsPerRun
                : threadsPerRun > 0 ? threadsPerRun : Math.max(1, Runtime.getRuntime().availableProcessors() / parallel);
        ExecutorService pool = parallel == 1 ? null : Executors.newFixedThreadPool(parallel);
        CompletionService<Integer> done = pool == null ? null : new ExecutorCompletionService<>(pool);
        Map<Future<Integer>, Piece> running = new java.util.HashMap<>();
        int started = 0;
        try {
            while (!waiting.isEmpty() || !running.isEmpty()) {
                for (Piece p : List.copyOf(waiting)) { // start what is ready, earlier runs first
                    if (pool != null && running.size() >= parallel) break;
                    boolean blocked = false, lost = false;
                    for (Piece q : waiting) blocked |= p.after(q);
                    for (Piece q : running.values()) blocked |= p.after(q);
                    for (Piece q : failed) lost |= p.after(q);
                    for (Piece q : skipped) lost |= p.after(q);
                    if (lost) {
                        waiting.remove(p);
                        skipped.add(p);
                        synchronized (out) {
                            out.println(label(sweep, p) + ": not run, a task it waits for failed");
                            out.flush();
                        }
                        continue;
                    }
                    if (blocked) continue;
                    waiting.remove(p);
                    started++;
                    if (pool == null) {
                        out.printf("[%d/%d] task %s%n", started, total, p);
                        out.flush();
                        if (SweepTask.run(sweep, p, threads, commands, out) != 0) failed.add(p);
                        break; // look at what is ready again, in order
                    }
                    running.put(done.submit(() -> child(sweep, p, threads, launcher, out)), p);
                }
                if (pool == null || running.isEmpty()) continue;
                Future<Integer> f;
                try {
                    f = done.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for sweep tasks", e);
                }
                Piece p = running.remove(f);
                int code;
                try {
                    code = f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for sweep tasks", e);
                } catch (ExecutionException e) {
                    throw new IOException("sweep task " + p + " could not run: " + e.getCause().getMessage(), e.getCause());
                }
                if (code != 0) failed.add(p);
            }
        } finally {
            if (pool != null) pool.shutdownNow();
        }
        return new Outcome(sorted(failed), sorted(skipped));
    }

    private static List<Piece> sorted(List<Piece> l) {
        return List.copyOf(new TreeSet<>(l));
    }

    private static String label(Sweep sweep, Piece p) {
        return sweep.run(p.index()).name() + p.suffix();
    }

    private static int child(Sweep sweep, Piece piece, int threads, Launcher launcher, PrintWriter out)
            throws IOException, InterruptedException {
        SweepRun run = sweep.run(piece.index());
        Path log = sweep.logFile(run, piece);
        Path console = log.resolveSibling(run.name() + piece.suffix() + ".out");
        Files.createDirectories(console.getParent());
        List<String> cmd = launcher.command(List.of("sweep", "run-task", sweep.dir().toString(), "--index",
                Integer.toString(piece.index()), "--stage", piece.stage(), "--threads", Integer.toString(threads)));
        synchronized (out) {
            out.println(label(sweep, piece) + ": started (" + threads + " threads)");
            out.flush();
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile())).start();
        int code = p.waitFor();
        // why, as the task recorded it (its error lines); nothing when it ended before recording a failure
        String why = code == 0 ? "" : TaskState.read(sweep.stateFile(run, piece))
                .filter(t -> t.state().equals(TaskState.FAILED) && !t.message().isBlank())
                .map(t -> ": " + SweepTask.why(t.message())).orElse("");
        synchronized (out) {
            out.println(label(sweep, piece) + (code == 0 ? ": done" : ": failed (exit code " + code + ")" + why + "; log "
                    + log + ", output " + console));
            out.flush();
        }
        return code;
    }
}
