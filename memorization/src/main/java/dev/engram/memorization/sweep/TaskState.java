package dev.engram.memorization.sweep;

import dev.engram.memorization.io.Results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the last task of a sweep run recorded in {@code state/<run>.json}: running (with host and process), done, or
 * failed (with the step that failed and its exit code).
 *
 * @param state    {@code running}, {@code done} or {@code failed}
 * @param host     host name of the task
 * @param pid      process id of the task
 * @param slurmJob {@code JOBID_TASKID} of the Slurm array task, "" outside Slurm
 * @param start    start time (ISO-8601)
 * @param end      end time, "" while running
 * @param step     the command line being run or that failed
 * @param exitCode its exit code (0 while running or when done)
 * @param message  the failure's message, "" otherwise
 */
public record TaskState(String state, String host, long pid, String slurmJob, String start, String end, String step,
                        int exitCode, String message) {
    /** State of a task that is running. */
    public static final String RUNNING = "running";
    /** State of a task that finished. */
    public static final String DONE = "done";
    /** State of a task that failed. */
    public static final String FAILED = "failed";

    /** Reads {@code file}; empty when it does not exist. */
    public static Optional<TaskState> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            return Optional.of(Results.GSON.fromJson(Files.readString(file), TaskState.class));
        } catch (RuntimeException e) {
            throw new IOException("cannot read task state " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this state atomically to {@code file}. */
    public void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Results.writeJson(file, this);
    }

    /** This state with another state, step, exit code and message, ending now (unless running). */
    TaskState next(String newState, String newStep, int code, String msg) {
        return new TaskState(newState, host, pid, slurmJob, start,
                newState.equals(RUNNING) ? "" : java.time.Instant.now().toString(), newStep, code, msg);
    }

    /** A task starting now in this process. */
    static TaskState startingNow() {
        String job = System.getenv("SLURM_ARRAY_JOB_ID");
        String task = System.getenv("SLURM_ARRAY_TASK_ID");
        String slurm = job != null && task != null ? job + "_" + task
                : System.getenv("SLURM_JOB_ID") != null ? System.getenv("SLURM_JOB_ID") : "";
        return new TaskState(RUNNING, dev.engram.memorization.run.SystemInfo.hostname(), ProcessHandle.current().pid(),
                slurm, java.time.Instant.now().toString(), "", "", 0, "");
    }
}
