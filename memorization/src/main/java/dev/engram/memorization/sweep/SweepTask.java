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
 * One task of a sweep: trains its run (or continues an interrupted training) and runs each analysis that has no
 * results yet, through the same commands a researcher types ({@code engram train --config}, {@code engram flip
 * --run} …). Finished steps are skipped, so a task can be repeated after any interruption. The commands' output is
 * appended to {@code logs/<run>.log}; the outcome is recorded in {@code state/<run>.json}.
 */
public final class SweepTask {
    private SweepTask() { }

    /**
     * Runs task {@code index} of {@code sweep}.
     *
     * @param threads CPU threads of training and analyses (0 = the run's configuration, all cores by default)
     * @param console one line per step goes here (the details go to the log)
     * @return 0 when the run is complete, else the exit code of the step that failed
     */
    public static int run(Sweep sweep, int index, int threads, Commands commands, PrintWriter console) throws IOException {
        SweepRun run = sweep.run(index);
        Path log = sweep.logFile(run);
        Files.createDirectories(log.getParent());
        TaskState state = TaskState.startingNow();
        try (Writer fw = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND); PrintWriter out = new PrintWriter(fw, true)) {
            out.println("== " + state.start() + " task " + index + " (" + run.name() + ") on " + state.host()
                    + (state.slurmJob().isEmpty() ? "" : ", Slurm " + state.slurmJob()));
            for (List<String> step : steps(sweep, run, threads, commands)) {
                state = state.next(TaskState.RUNNING, String.join(" ", step), 0, "");
                state.write(sweep.stateFile(run));
                console.println(run.name() + ": engram " + String.join(" ", step));
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
                    String msg = err.toString().strip();
                    state.next(TaskState.FAILED, String.join(" ", step), code, msg).write(sweep.stateFile(run));
                    out.println("== failed with exit code " + code);
                    console.println(run.name() + ": failed (exit code " + code + "): " + lastLine(msg) + "; log " + log);
                    console.flush();
                    return code;
                }
            }
            RunProgress p = RunProgress.of(sweep, run, commands);
            if (!p.complete()) {
                String msg = "the steps succeeded but the run folder is not complete (trained " + p.trained()
                        + ", analyses without results " + p.missingAnalyses() + ")";
                state.next(TaskState.FAILED, "", 1, msg).write(sweep.stateFile(run));
                out.println("== " + msg);
                console.println(run.name() + ": " + msg);
                return 1;
            }
            state.next(TaskState.DONE, "", 0, "").write(sweep.stateFile(run));
            out.println("== done " + java.time.Instant.now());
            console.println(run.name() + ": done");
            console.flush();
            return 0;
        }
    }

    /** The command lines still to run for {@code run}: training (new or continued), then the missing analyses. */
    static List<List<String>> steps(Sweep sweep, SweepRun run, int threads, Commands commands) throws IOException {
        RunProgress p = RunProgress.of(sweep, run, commands);
        String dir = sweep.runDir(run).toString();
        List<List<String>> steps = new ArrayList<>();
        if (!p.trained()) {
            List<String> train = new ArrayList<>(p.created() ? List.of("train", "--run", dir, "--resume")
                    : List.of("train", "--run", dir, "--config", sweep.configFile(run).toString()));
            common(train, sweep, threads);
            steps.add(train);
        }
        for (List<String> a : p.missingAnalyses()) {
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
        if (sweep.offline()) step.add("--offline");
        if (threads > 0 && !step.contains("--threads")) {
            step.add("--threads");
            step.add(Integer.toString(threads));
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }
}
