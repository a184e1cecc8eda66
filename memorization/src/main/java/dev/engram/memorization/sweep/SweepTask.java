package dev.engram.memorization.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One task of a sweep: one {@link Piece} of a run. The run piece trains its run (or continues an interrupted training)
 * and runs each of its analyses that has no results yet, through the same commands a researcher types ({@code engram
 * train --config}, {@code engram flip --run} …); a shard piece runs one shard step, the merge piece the merges.
 * Finished steps are skipped, so a task can be repeated after any interruption. The commands' output is appended to
 * the piece's log ({@code logs/<run>.log}, {@code logs/<run>.shard-J.log} …); the outcome is recorded in its state
 * file ({@code state/<run>.json} …).
 */
public final class SweepTask {
    private SweepTask() { }

    /**
     * Runs piece {@code piece} of {@code sweep}.
     *
     * @param threads CPU threads of training and analyses (0 = the run's configuration, all cores by default)
     * @param console one line per step goes here (the details go to the log)
     * @return 0 when the piece is complete, else the exit code of the step that failed
     */
    public static int run(Sweep sweep, Piece piece, int threads, Commands commands, PrintWriter console) throws IOException {
        SweepRun run = sweep.run(piece.index());
        if (!piece.stage().equals(Piece.ALL) && !Piece.of(run).contains(piece)) {
            throw new IllegalArgumentException("run " + piece.index() + " (" + run.name() + ") of " + sweep.dir()
                    + " has no stage '" + piece.stage() + "'; its stages: "
                    + Piece.of(run).stream().map(Piece::stage).toList() + " or all");
        }
        String label = run.name() + piece.suffix();
        Path log = sweep.logFile(run, piece), stateFile = sweep.stateFile(run, piece);
        Files.createDirectories(log.getParent());
        TaskState state = TaskState.startingNow();
        try (Writer fw = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND); PrintWriter out = new PrintWriter(fw, true)) {
            out.println("== " + state.start() + " task " + piece + " (" + label + ") on " + state.host()
                    + (state.slurmJob().isEmpty() ? "" : ", Slurm " + state.slurmJob()));
            if (!piece.trains() && !RunProgress.of(sweep, run, commands).trained()) {
                String msg = "run " + run.name() + " is not trained; its run task must finish before its " + piece.stage() + " task";
                state.next(TaskState.FAILED, "", 1, msg).write(stateFile);
                out.println("== " + msg);
                console.println(label + ": " + msg);
                console.flush();
                return 1;
            }
            for (List<String> step : steps(sweep, piece, threads, commands)) {
                state = state.next(TaskState.RUNNING, String.join(" ", step), 0, "");
                state.write(stateFile);
                console.println(label + ": engram " + String.join(" ", step));
                console.flush();
                out.println("$ engram " + String.join(" ", step));
                StringWriter err = new StringWriter();
                int code;
                try (PrintWriter errWriter = new PrintWriter(err, true)) {
                    code = commands.run(step, out, errWriter);
                }
                out.print(err);
                out.flush();
                if (code != 0) {
                    String msg = err.toString().strip(); // the status and the line below show its error lines
                    state.next(TaskState.FAILED, String.join(" ", step), code, msg).write(stateFile);
                    out.println("== failed with exit code " + code);
                    console.println(label + ": failed (exit code " + code + "): " + why(msg) + "; log " + log);
                    console.flush();
                    return code;
                }
            }
            RunProgress p = RunProgress.of(sweep, run, commands);
            if (!p.done(piece, run)) {
                String msg = "the steps succeeded but the run folder is not complete (trained " + p.trained()
                        + ", analyses without results " + p.missingAnalyses() + ")";
                state.next(TaskState.FAILED, "", 1, msg).write(stateFile);
                out.println("== " + msg);
                console.println(label + ": " + msg);
                return 1;
            }
            state.next(TaskState.DONE, "", 0, "").write(stateFile);
            out.println("== done " + java.time.Instant.now());
            console.println(label + ": done");
            console.flush();
            return 0;
        }
    }

    /** The command lines still to run for {@code piece}: training (new or continued), then its missing analyses. */
    static List<List<String>> steps(Sweep sweep, Piece piece, int threads, Commands commands) throws IOException {
        SweepRun run = sweep.run(piece.index());
        RunProgress p = RunProgress.of(sweep, run, commands);
        String dir = sweep.runDir(run).toString();
        List<List<String>> steps = new ArrayList<>();
        if (!p.trained() && piece.trains()) {
            List<String> train = new ArrayList<>(p.created() ? List.of("train", "--run", dir, "--resume")
                    : List.of("train", "--run", dir, "--config", sweep.configFile(run).toString()));
            common(train, sweep, threads);
            steps.add(train);
        }
        for (List<String> a : piece.analyses(run)) {
            if (!p.missingAnalyses().contains(a)) continue;
            List<String> s = new ArrayList<>(a.subList(0, 1));
            s.add("--run");
            s.add(dir);
            s.addAll(a.subList(1, a.size()));
            common(s, sweep, threads);
            steps.add(s);
        }
        return steps;
    }

    private static void common(List<String> step, Sweep sweep, int threads) {
        // an option the line gives itself is not added again (picocli refuses an option given twice)
        if (sweep.offline() && !has(step, "--offline")) step.add("--offline");
        if (threads > 0 && !has(step, "--threads")) {
            step.add("--threads");
            step.add(Integer.toString(threads));
        }
    }

    private static boolean has(List<String> step, String option) {
        return step.stream().anyMatch(w -> w.equals(option) || w.startsWith(option + "="));
    }

    /** A failure's standard error on one line: its error lines ({@link ErrorLines}) joined by "; ", else its last line. */
    static String why(String stderr) {
        List<String> errors = ErrorLines.of(stderr);
        return errors.isEmpty() ? lastLine(stderr) : String.join("; ", errors);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }
}
