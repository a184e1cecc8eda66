package dev.engram.memorization.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state of every run of a sweep, from its run folder (complete?), its task's state file, and Slurm
 * ({@code squeue}/{@code sacct}) where the sweep was submitted there.
 */
public final class SweepStatus {
    /** Slurm states of a task that ended without finishing its run. */
    private static final List<String> SLURM_FAILED = List.of("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY",
            "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE");

    private SweepStatus() { }

    /** A run's state. */
    public enum State {
        /** Trained and every analysis has results. */
        DONE,
        /** Its task is running. */
        RUNNING,
        /** Queued in Slurm, or not started yet. */
        PENDING,
        /** Its last task failed or was killed. */
        FAILED
    }

    /**
     * One piece's state.
     *
     * @param piece  the piece
     * @param state  its state
     * @param detail what is known beyond the state (the Slurm task and state, the failed step and exit code)
     * @param log    why it failed (failed pieces only): the error lines ({@link ErrorLines}) of the step that failed
     *               and, in Slurm, of the task's Slurm output, else the last lines of its log
     * @param queued whether Slurm holds it queued or running (so it is not to be submitted again)
     */
    public record PieceLine(Piece piece, State state, String detail, List<String> log, boolean queued) { }

    /**
     * One run's line of the status.
     *
     * @param run    the run
     * @param state  its state: done when every piece is, else failed, running or pending (in this order) when a
     *               piece is
     * @param detail what is known beyond the state: the run piece's detail, and for a fanned-out run how many
     *               shards are in which state and the merge's
     * @param log    the last lines of the log of its first failed piece
     * @param pieces its pieces' states: the run piece, then a fanned-out run's shards and merge
     */
    public record Line(SweepRun run, State state, String detail, List<String> log, List<PieceLine> pieces) { }

    /**
     * The status of every run; {@code slurm} maps pieces to what Slurm says of their latest task (empty outside
     * Slurm), and {@code slurmAnswers} says whether Slurm could be asked at all (so that a task it no longer lists has
     * ended).
     */
    public static List<Line> of(Sweep sweep, Commands commands, Map<Piece, SlurmExecutor.SlurmTask> slurm,
                                boolean slurmAnswers, int logLines) throws IOException {
        List<Line> out = new ArrayList<>();
        for (SweepRun r : sweep.runs()) {
            RunProgress p = RunProgress.of(sweep, r, commands);
            List<PieceLine> pieces = new ArrayList<>();
            for (Piece piece : Piece.of(r)) pieces.add(piece(sweep, r, piece, p, slurm.get(piece), slurmAnswers, logLines));
            PieceLine first = pieces.get(0);
            if (pieces.size() == 1) {
                out.add(new Line(r, first.state(), first.detail(), first.log(), pieces));
                continue;
            }
            State state = State.DONE;
            for (State s : List.of(State.PENDING, State.RUNNING, State.FAILED)) {
                if (pieces.stream().anyMatch(x -> x.state() == s)) state = s;
            }
            Map<State, Integer> shards = new java.util.EnumMap<>(State.class);
            String merge = "";
            for (PieceLine l : pieces) {
                if (Piece.shardNumber(l.piece().stage()) > 0) shards.merge(l.state(), 1, Integer::sum);
                if (l.piece().stage().equals(Piece.MERGE)) merge = "; merge " + name(l.state());
            }
            List<String> counts = new ArrayList<>();
            shards.forEach((s, n) -> counts.add(n + " " + name(s)));
            String detail = "run " + name(first.state()) + (first.detail().isEmpty() ? "" : ": " + first.detail())
                    + "; shards " + String.join(", ", counts) + merge;
            List<String> log = pieces.stream().filter(x -> x.state() == State.FAILED).findFirst()
                    .map(PieceLine::log).orElse(List.of());
            out.add(new Line(r, state, detail, log, pieces));
        }
        return out;
    }

    private static String name(State s) {
        return s.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static PieceLine piece(Sweep sweep, SweepRun r, Piece piece, RunProgress p, SlurmExecutor.SlurmTask task,
                                   boolean slurmAnswers, int logLines) throws IOException {
        Optional<TaskState> t = TaskState.read(sweep.stateFile(r, piece));
        String s = task == null ? null : task.state();
        String sl = s == null ? "" : "slurm " + task.jobId() + "_" + r.index() + " " + s;
        boolean queued = false;
        State state;
        String detail;
        if (p.done(piece, r)) {
            state = State.DONE;
            detail = t.filter(x -> x.state().equals(TaskState.DONE))
                    .map(x -> "finished " + x.end() + (x.slurmJob().isEmpty() ? "" : " (slurm " + x.slurmJob() + ")"))
                    .orElse("");
        } else if (s != null && (s.equals("PENDING") || s.equals("CONFIGURING") || s.startsWith("REQUEUE"))) {
            state = State.PENDING;
            detail = sl + (task.reason().isEmpty() || task.reason().equals("None") ? "" : " (" + task.reason() + ")");
            queued = true;
        } else if (s != null && (s.equals("RUNNING") || s.equals("COMPLETING"))) {
            state = State.RUNNING;
            detail = sl + t.map(x -> ", " + x.step()).orElse("");
            queued = true;
        } else if (task != null && task.dependencyFailed()) {
            state = State.PENDING;
            detail = sl + ": not run, a task it waits for failed";
        } else if (t.isPresent() && t.get().state().equals(TaskState.FAILED)) {
            state = State.FAILED;
            detail = "exit code " + t.get().exitCode() + (t.get().step().isEmpty() ? ": " + t.get().message()
                    : " in `engram " + t.get().step() + "`");
        } else if (s != null && SLURM_FAILED.contains(s)) {
            state = State.FAILED;
            detail = sl + (t.isPresent() ? " during `engram " + t.get().step() + "`" : "");
        } else if (t.isPresent() && t.get().state().equals(TaskState.RUNNING)) {
            boolean alive;
            if (t.get().host().equals(dev.engram.memorization.run.SystemInfo.hostname())) {
                alive = ProcessHandle.of(t.get().pid()).map(ProcessHandle::isAlive).orElse(false);
            } else if (!t.get().slurmJob().isEmpty() && slurmAnswers) {
                alive = s != null && !s.equals("COMPLETED"); // Slurm no longer listing the task: it ended
            } else {
                alive = true; // another machine, no scheduler to ask: trust the state file
            }
            state = alive ? State.RUNNING : State.FAILED;
            detail = alive ? "pid " + t.get().pid() + " on " + t.get().host() + ", `engram " + t.get().step() + "`"
                    : "its task (pid " + t.get().pid() + " on " + t.get().host() + ") ended during `engram "
                    + t.get().step() + "`" + (sl.isEmpty() ? "" : " (" + sl + ")");
        } else {
            state = State.PENDING;
            detail = sl.isEmpty() ? (piece.trains() && p.created() ? "interrupted; not running" : "not started") : sl;
        }
        List<String> log = state == State.FAILED ? failure(sweep, r, piece, t, task, logLines) : List.of();
        return new PieceLine(piece, state, detail, log, queued);
    }

    /**
     * At most {@code n} lines saying why piece {@code piece} failed: the error lines of the step that failed (from the
     * standard error its task recorded in {@code state}, else from its last attempt in its log) and, for a Slurm task,
     * those of Slurm's output of it ({@code logs/slurm-JOB_INDEX.out}: Slurm's own, e.g. a time limit, and those of a
     * task that failed before writing its log); when there are none, the last lines of its log (or of Slurm's output
     * when it has no log).
     */
    static List<String> failure(Sweep sweep, SweepRun r, Piece piece, Optional<TaskState> state,
                                SlurmExecutor.SlurmTask task, int n) throws IOException {
        if (n <= 0) return List.of();
        Path log = sweep.logFile(r, piece);
        List<String> errors = new ArrayList<>(state.filter(x -> x.state().equals(TaskState.FAILED))
                .map(x -> ErrorLines.of(x.message())).orElse(List.of()));
        if (errors.isEmpty()) errors.addAll(ErrorLines.of(ErrorLines.lastTask(lines(log))));
        Path slurmOut = task == null ? null
                : sweep.dir().resolve("logs").resolve("slurm-" + task.jobId() + "_" + r.index() + ".out");
        if (slurmOut != null) {
            for (String e : ErrorLines.of(lines(slurmOut))) if (!errors.contains(e)) errors.add(e);
        }
        if (!errors.isEmpty()) return List.copyOf(errors.subList(0, Math.min(n, errors.size())));
        return slurmOut != null && !Files.isRegularFile(log) ? tail(slurmOut, n) : tail(log, n);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    /** The last {@code n} lines of {@code file} (none when it does not exist). */
    static List<String> tail(Path file, int n) throws IOException {
        if (!Files.isRegularFile(file) || n <= 0) return List.of();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    /**
     * The pieces to start: failed ones and those neither done, running nor queued in Slurm (with {@code onlyFailed}:
     * the failed ones and, of their run, the pieces not done that wait for them, e.g. the merge after a failed shard).
     */
    public static List<Piece> toRun(List<Line> status, boolean onlyFailed) {
        List<Piece> out = new ArrayList<>();
        for (Line l : status) {
            List<Piece> failed = l.pieces().stream().filter(x -> x.state() == State.FAILED).map(PieceLine::piece).toList();
            for (PieceLine x : l.pieces()) {
                boolean idle = x.state() == State.PENDING && !x.queued();
                boolean waitsForFailed = failed.stream().anyMatch(f -> x.piece().after(f));
                if (x.state() == State.FAILED || (idle && (!onlyFailed || waitsForFailed))) out.add(x.piece());
            }
        }
        return out;
    }
}
