package dev.engram.memorization.cli;

import dev.engram.memorization.sweep.Launcher;
import dev.engram.memorization.sweep.LocalExecutor;
import dev.engram.memorization.sweep.Piece;
import dev.engram.memorization.sweep.SlurmExecutor;
import dev.engram.memorization.sweep.SlurmOptions;
import dev.engram.memorization.sweep.Sweep;
import dev.engram.memorization.sweep.SweepEstimate;
import dev.engram.memorization.sweep.SweepSpec;
import dev.engram.memorization.sweep.SweepStatus;
import dev.engram.memorization.sweep.SweepTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code engram sweep SWEEP.yaml}: expands a sweep file (base configuration, axes, seeds, analyses) into run folders
 * under one sweep folder and runs them locally or as one Slurm job array; {@code status}, {@code report} and
 * {@code run-task} are its subcommands. The logic is in {@code dev.engram.memorization.sweep}.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        subcommands = {SweepCommand.RunTask.class, SweepCommand.Status.class, SweepCommand.Report.class},
        description = "Run a grid of experiments: the product of a sweep file's axes (config keys, analysis options,"
                + " seeds), each run trained and analysed in its own folder under one sweep folder with a manifest"
                + " (sweep.json). Complete runs are skipped, so a sweep resumes or extends. --executor local runs them"
                + " here (--parallel N at a time), --executor slurm submits one Slurm job array; sharded analyses"
                + " ({name: flip, shards: N}) fan out as shard tasks and a merge task per run. See docs/sweeps.md.")
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SWEEP", description = "The sweep file (.yaml/.yml/.json), or a sweep folder"
            + " holding sweep.json (to resume it or resubmit its failed runs).")
    Path source;

    @Option(names = "--dir", paramLabel = "DIR", description = "Sweep folder (default: beside the sweep file, named"
            + " after the sweep).")
    Path dir;

    @Option(names = "--executor", paramLabel = "E", defaultValue = "local",
            description = "local (this machine) or slurm (one job array via sbatch). Default: ${DEFAULT-VALUE}.")
    String executor;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
            description = "local: runs at once, each in its own process (default: 1, in this process).")
    int parallel;

    @Option(names = "--threads-per-run", paramLabel = "N", defaultValue = "0",
            description = "local: CPU threads of each run (default: the cores divided by --parallel; with --parallel 1,"
                    + " the configuration's threads).")
    int threadsPerRun;

    @Option(names = "--dry-run", description = "List the runs, their state and the estimated time; run nothing.")
    boolean dryRun;

    @Option(names = "--only-failed", description = "Start only the tasks that failed (and, of their runs, the shard"
            + " and merge tasks waiting for them).")
    boolean onlyFailed;

    @Option(names = "--partition", paramLabel = "P", description = "slurm: partition.")
    String partition;

    @Option(names = "--time", paramLabel = "LIMIT", description = "slurm: time limit per run, e.g. 02:00:00.")
    String time;

    @Option(names = "--mem", paramLabel = "M", description = "slurm: memory per run, e.g. 16G.")
    String mem;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "0", description = "slurm: CPUs per run (also its threads).")
    int cpus;

    @Option(names = "--gpus", paramLabel = "N", defaultValue = "0", description = "slurm: GPUs per run.")
    int gpus;

    @Option(names = "--sbatch", paramLabel = "LINE", description = "slurm: an extra #SBATCH line, e.g. --account=lab"
            + " (repeatable).")
    List<String> sbatch = new ArrayList<>();

    @Option(names = "--preamble", paramLabel = "LINE", description = "slurm: a shell line run before each task, e.g."
            + " 'module load java/17' (repeatable).")
    List<String> preamble = new ArrayList<>();

    @Option(names = "--launcher", paramLabel = "CMD", description = "slurm and --parallel: the command that runs Engram"
            + " on a node, e.g. /shared/engram/engram (default: this java and class path).")
    String launcher;

    @Option(names = "--max-parallel", paramLabel = "N", defaultValue = "0",
            description = "slurm: at most N array tasks at once (--array=...%%N).")
    int maxParallel;

    /**
     * Checks this command's own options before anything is planned or written (a bad one used to be found only after
     * the sweep folder was written, as a failure, or not at all) and returns the Slurm requests they make.
     */
    private SlurmOptions checkOptions() {
        String e = executor.trim().toLowerCase(Locale.ROOT);
        if (!e.equals("local") && !e.equals("slurm")) {
            throw new UsageException("unknown --executor '" + executor + "'; expected local or slurm");
        }
        if (parallel < 1) throw new UsageException("--parallel must be >= 1, got " + parallel);
        if (threadsPerRun < 0) {
            throw new UsageException("--threads-per-run must be >= 0 (0 = the cores divided by --parallel), got " + threadsPerRun);
        }
        try {
            return new SlurmOptions(partition, time, mem, cpus, gpus, sbatch, preamble, launcher, maxParallel);
        } catch (SlurmOptions.InvalidOption bad) {
            String option = bad.key().equals("maxParallel") ? "--max-parallel" : "--" + bad.key();
            throw new UsageException(option + " " + bad.problem(), bad);
        }
    }

    /**
     * Plans the sweep file {@code source}: a bad sweep file (an unknown key, a value of the wrong type, an empty axis,
     * two runs with one name, a run whose configuration would change in its folder) is a usage error naming the file.
     */
    private Sweep planFile(CliCommands commands) throws java.io.IOException {
        try {
            SweepSpec s = SweepSpec.read(source);
            Path d = dir != null ? dir : source.toAbsolutePath().getParent().resolve(s.name());
            return Sweep.plan(s, d, commands);
        } catch (Sweep.InvalidAnalysisException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() != null ? e.getMessage() : e.toString();
            throw new UsageException(m.contains(source.toString()) ? m : source + ": " + m, e);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (source == null) {
            throw new UsageException("give a sweep file (engram sweep SWEEP.yaml) or a subcommand: run-task,"
                    + " status, report (engram sweep --help)");
        }
        SlurmOptions slurmFlags = checkOptions();
        CliCommands commands = new CliCommands();
        Sweep sweep;
        try {
            if (Files.isDirectory(source)) {
                if (dir != null) throw new UsageException("--dir is for a sweep file; " + source + " is a sweep folder");
                sweep = Sweep.open(source);
                sweep.checkAnalyses(commands);
            } else {
                sweep = planFile(commands);
            }
        } catch (Sweep.InvalidAnalysisException e) { // refused before anything runs, like a bad option of engram itself
            Path file = Files.isDirectory(source) ? source.resolve(Sweep.MANIFEST) : source;
            throw new UsageException(file + ": " + e.getMessage(), e);
        }
        Map<Piece, SlurmExecutor.SlurmTask> slurmNow = slurmStates(sweep);
        List<SweepStatus.Line> status = SweepStatus.of(sweep, commands, slurmNow, slurmAnswers(sweep), 0);
        List<Piece> todo = SweepStatus.toRun(status, onlyFailed);
        List<Integer> todoRuns = todo.stream().map(Piece::index).distinct().toList();
        String tasks = todo.size() == todoRuns.size() ? "" : " (" + todo.size() + " tasks)";
        if (dryRun) {
            out.printf(Locale.ROOT, "sweep %s in %s: %d runs, %d to run%s%n", sweep.name(), sweep.dir(), sweep.runs().size(),
                    todoRuns.size(), tasks);
            SweepEstimate est = SweepEstimate.of(sweep, todoRuns);
            for (SweepStatus.Line l : status) {
                out.printf(Locale.ROOT, "%4d  %-8s %-40s %s%n", l.run().index(), l.state().name().toLowerCase(Locale.ROOT),
                        l.run().name(), est.describe(l.run().index()));
            }
            out.println(est.total());
            out.flush();
            return 0;
        }
        sweep.write();
        if (todo.isEmpty()) {
            out.println("sweep " + sweep.name() + ": nothing to run (" + sweep.runs().size() + " runs"
                    + (onlyFailed ? ", none failed)" : ", all done, running or queued)"));
            out.flush();
            return 0;
        }
        Launcher l = launcher != null ? Launcher.of(launcher)
                : !sweep.slurm().launcher().isEmpty() ? Launcher.of(sweep.slurm().launcher())
                : Launcher.thisJvm(CliCommands.MAIN_CLASS);
        switch (executor.trim().toLowerCase(Locale.ROOT)) {
            case "local" -> {
                out.println("sweep " + sweep.name() + ": running " + todoRuns.size() + " of " + sweep.runs().size()
                        + " runs" + tasks + " in " + sweep.dir());
                out.flush();
                LocalExecutor.Outcome o = LocalExecutor.run(sweep, todo, parallel, threadsPerRun, commands, l, out);
                List<Integer> failed = o.failed().stream().map(Piece::index).distinct().toList();
                out.println(o.ok() ? "sweep " + sweep.name() + ": all " + todoRuns.size() + " runs done"
                        : "sweep " + sweep.name() + ": " + failed.size() + " runs failed " + failed
                        + (todo.size() == todoRuns.size() ? "" : " (failed tasks " + o.failed() + ", not run "
                        + o.skipped() + ")")
                        + "; see `engram sweep status " + sweep.dir() + "`; rerun them with --only-failed");
                out.flush();
                return o.ok() ? 0 : EngramCli.EXIT_FAILURE;
            }
            case "slurm" -> {
                SlurmOptions o = sweep.slurm().overriddenBy(slurmFlags);
                List<SlurmExecutor.Job> jobs = SlurmExecutor.submit(sweep, todo, slurmNow, o, l);
                for (SlurmExecutor.Job job : jobs) {
                    String what = job.stage().equals(Piece.RUN) ? job.indices().size() + " runs"
                            : job.stage() + " of " + job.indices().size() + " runs";
                    out.println("submitted job array " + job.jobId() + " (" + what + ")"
                            + (job.dependency().isEmpty() ? "" : " after " + job.dependency()) + " from " + job.script());
                }
                out.println("follow it with `engram sweep status " + sweep.dir() + "`");
                out.println(String.join(" ", jobs.stream().map(SlurmExecutor.Job::jobId).toList()));
                out.flush();
                return 0;
            }
            default -> throw new UsageException("unknown --executor '" + executor + "'; expected local or slurm");
        }
    }

    static boolean slurmAnswers(Sweep sweep) throws java.io.IOException {
        return !SlurmExecutor.jobs(sweep).isEmpty() && SlurmExecutor.answers();
    }

    static Map<Piece, SlurmExecutor.SlurmTask> slurmStates(Sweep sweep) throws java.io.IOException {
        return SlurmExecutor.states(SlurmExecutor.jobs(sweep));
    }

    /** {@code engram sweep run-task DIR --index I [--stage S]}: one run of a sweep, or one piece of it (a Slurm array task). */
    @Command(name = "run-task", mixinStandardHelpOptions = true,
            description = "Train one run of a sweep folder and run its analyses, skipping finished steps (what each"
                    + " Slurm array task runs; $SLURM_ARRAY_TASK_ID is the index), or one piece of a fanned-out run.")
    public static final class RunTask implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "The sweep folder (holding sweep.json).")
        Path dir;

        @Option(names = "--index", paramLabel = "I", required = true, description = "The run's index in sweep.json.")
        int index;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "CPU threads of training and analyses (default: the run's configuration).")
        int threads;

        @Option(names = "--stage", paramLabel = "S", defaultValue = Piece.ALL,
                description = "all (every step, default), run (training and the analyses that are neither shards nor"
                        + " merges), shard-J (the run's J-th shard step) or merge (its merges).")
        String stage;

        @Override
        public Integer call() throws Exception {
            if (threads < 0) throw new UsageException("--threads must be >= 0 (0 = the run's configuration), got " + threads);
            Sweep sweep = Sweep.open(dir);
            if (index < 0 || index >= sweep.runs().size()) {
                throw new UsageException("--index " + index + ": sweep " + sweep.dir() + (sweep.runs().isEmpty()
                        ? " has no runs" : " has runs 0.." + (sweep.runs().size() - 1)));
            }
            Piece piece;
            try {
                piece = new Piece(index, stage);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--stage: " + e.getMessage(), e);
            }
            List<Piece> stages = Piece.of(sweep.run(index));
            if (!stage.equals(Piece.ALL) && !stages.contains(piece)) {
                throw new UsageException("--stage '" + stage + "': run " + index + " (" + sweep.run(index).name()
                        + ") has the stages " + stages.stream().map(Piece::stage).toList() + " or all");
            }
            int code = SweepTask.run(sweep, piece, threads, new CliCommands(), spec.commandLine().getOut());
            return code == 0 ? 0 : EngramCli.EXIT_FAILURE;
        }
    }

    /** {@code engram sweep status DIR}: every run's state. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Per run: done, running, pending or failed (with the last lines of its log), from the run"
                    + " folders, the tasks' state files and squeue/sacct where the sweep went to Slurm; for a run whose"
                    + " analyses are sharded, every shard and merge task not done yet.")
    public static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "The sweep folder.")
        Path dir;

        @Option(names = "--log-lines", paramLabel = "N", defaultValue = "5",
                description = "Log lines shown per failed run (default: ${DEFAULT-VALUE}).")
        int logLines;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Sweep sweep = Sweep.open(dir);
            List<SweepStatus.Line> lines = SweepStatus.of(sweep, new CliCommands(), slurmStates(sweep), slurmAnswers(sweep),
                    logLines);
            Map<SweepStatus.State, Integer> counts = new java.util.EnumMap<>(SweepStatus.State.class);
            for (SweepStatus.Line l : lines) {
                counts.merge(l.state(), 1, Integer::sum);
                out.printf(Locale.ROOT, "%4d  %-8s %-40s %s%n", l.run().index(), l.state().name().toLowerCase(Locale.ROOT),
                        l.run().name(), l.detail());
                if (l.pieces().size() == 1) {
                    for (String s : l.log()) out.println("        | " + s);
                    continue;
                }
                for (SweepStatus.PieceLine p : l.pieces()) {
                    if (p.state() == SweepStatus.State.DONE) continue;
                    out.printf(Locale.ROOT, "        %-8s %-8s %s%n", p.piece().stage(),
                            p.state().name().toLowerCase(Locale.ROOT), p.detail());
                    for (String s : p.log()) out.println("        | " + s);
                }
            }
            out.println("sweep " + sweep.name() + ": " + counts.toString().toLowerCase(Locale.ROOT));
            out.flush();
            return 0;
        }
    }

    /** {@code engram sweep report DIR}: the aggregate table, CSV, charts and HTML page. */
    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Aggregate a sweep: mean and standard deviation over seeds of every headline number of every"
                    + " analysis (summary.csv for pandas, report.html with noise-rate curves and the (p_gen, p_mem)"
                    + " heatmap when those axes exist).")
    public static final class Report implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "The sweep folder.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path written = dev.engram.memorization.sweep.SweepReport.write(Sweep.open(dir), out);
            out.println("wrote " + written);
            out.flush();
            return 0;
        }
    }
}
