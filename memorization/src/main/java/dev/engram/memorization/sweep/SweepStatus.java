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
     * One run's line of the status.
     *
     * @param run    the run
     * @param state  its state
     * @param detail what is known beyond the state (the Slurm task and state, the failed step and exit code)
     * @param log    the last lines of its log (failed runs only)
     */
    public record Line(SweepRun run, State state, String detail, List<String> log) { }

    /**
     * The status of every run; {@code slurm} maps sweep indices to Slurm states (empty outside Slurm), and
     * {@code slurmAnswers} says whether Slurm could be asked at all (so that a task it no longer lists has ended).
     */
    public static List<Line> of(Sweep sweep, Commands commands, Map<Integer, String> slurm, boolean slurmAnswers,
                                int logLines) throws IOException {
        List<Line> out = new ArrayList<>();
        for (SweepRun r : sweep.runs()) {
            RunProgress p = RunProgress.of(sweep, r, commands);
            Optional<TaskState> t = TaskState.read(sweep.stateFile(r));
            String s = slurm.get(r.index());
            String sl = s == null ? "" : "slurm " + s;
            State state;
            String detail;
            if (p.complete()) {
                state = State.DONE;
                detail = t.map(x -> "finished " + x.end() + (x.slurmJob().isEmpty() ? "" : " (slurm " + x.slurmJob() + ")")).orElse("");
            } else if (s != null && (s.equals("PENDING") || s.equals("CONFIGURING") || s.startsWith("REQUEUE"))) {
                state = State.PENDING;
                detail = sl;
            } else if (s != null && (s.equals("RUNNING") || s.equals("COMPLETING"))) {
                state = State.RUNNING;
                detail = sl + t.map(x -> ", " + x.step()).orElse("");
            } else if (t.isPresent() && t.get().state().equals(TaskState.FAILED)) {
                state = State.FAILED;
                detail = "exit code " + t.get().exitCode() + " in `engram " + t.get().step() + "`";
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
                detail = sl.isEmpty() ? (p.created() ? "interrupted; not running" : "not started") : sl;
            }
            List<String> log = state == State.FAILED ? tail(sweep.logFile(r), logLines) : List.of();
            out.add(new Line(r, state, detail, log));
        }
        return out;
    }

    /** The last {@code n} lines of {@code file} (none when it does not exist). */
    static List<String> tail(Path file, int n) throws IOException {
        if (!Files.isRegularFile(file) || n <= 0) return List.of();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    /**
     * Indices of the runs to start: failed ones and those neither done, running nor queued in Slurm (with
     * {@code onlyFailed}: the failed ones only).
     */
    public static List<Integer> toRun(List<Line> status, boolean onlyFailed) {
        List<Integer> out = new ArrayList<>();
        for (Line l : status) {
            boolean queued = l.state() == State.PENDING && l.detail().startsWith("slurm");
            if (l.state() == State.FAILED || (!onlyFailed && l.state() == State.PENDING && !queued)) out.add(l.run().index());
        }
        return out;
    }
}
