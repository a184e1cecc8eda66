package dev.engram.memorization.cli;

import dev.engram.memorization.run.RunFolderException;
import dev.engram.memorization.run.SystemInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;

/**
 * The {@code engram} command line. Exit codes: 0 success, 1 the command failed (message on standard error), 2 bad
 * usage: an unknown command or option, a missing argument, or an option value that picocli cannot convert or that
 * the command rejects when it validates its options, including an analysis option in a sweep file
 * ({@link UsageException}). {@code --stacktrace} (or
 * {@code ENGRAM_STACKTRACE=1}) prints the full stack trace of a failure.
 */
@Command(name = "engram", mixinStandardHelpOptions = true, versionProvider = EngramCli.Version.class,
        description = "Engram: train networks on noisy labels and localize memorization (Maini et al., ICML 2023).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the command failed (message on standard error)",
            "2:usage error (unknown command or option, bad or missing value; also `engram` without a command)"},
        subcommands = {DoctorCommand.class, TrainCommand.class, ImportCommand.class, ScoresCommand.class, DemoCommand.class,
            RewindCommand.class,
            RetrainCommand.class,
            GradAccountingCommand.class,
            ReportCommand.class,
            FlipCommand.class,
            EtdCommand.class,
            CheckpointScoresCommand.class,
            DetectCommand.class, MergeCommand.class, SweepCommand.class, CompareMethodsCommand.class, FittingCurvesCommand.class,
            LocalizeCommand.class, LocalizationBenchmarkCommand.class, SparseDoubleDescentCommand.class,
            CommandLine.HelpCommand.class})
public final class EngramCli implements java.util.concurrent.Callable<Integer> {
    /** Exit code of a failed command. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of a usage error. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    @Option(names = "--stacktrace", scope = CommandLine.ScopeType.INHERIT,
            description = "Print the full stack trace when a command fails.")
    boolean stacktrace;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: print the usage to standard error and exit with the usage-error code. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** Supplies {@code --version}. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"engram " + SystemInfo.engramVersion() + " (git " + SystemInfo.gitCommit() + ")",
                "Java " + System.getProperty("java.version") + " " + System.getProperty("java.vendor")};
        }
    }

    /** A configured command line writing to the given streams. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new EngramCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(EngramCli::executeReportingOutOfMemory);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            boolean trace = stackTraceWanted(parseResult);
            PrintWriter e = cmd.getErr();
            String name = cmd.getCommandSpec().qualifiedName(); // "engram sweep status", not "engram status"
            e.println(name + ": error: " + describe(ex));
            boolean usage = ex instanceof UsageException;
            if (trace) ex.printStackTrace(e);
            else if (usage) e.println("(see `" + name + " --help`)");
            else if (!(ex instanceof RunFolderException || ex instanceof IllegalArgumentException
                    || ex instanceof IOException || ex instanceof IllegalStateException)) {
                e.println("(run with --stacktrace for details)");
            }
            e.flush();
            return usage ? EXIT_USAGE : EXIT_FAILURE;
        });
        return cl;
    }

    /** Runs the CLI with {@code args} on the given streams and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** Entry point of the {@code ./engram} launcher. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command the user named; a Java heap that fills up ({@link OutOfMemoryError}, which picocli does not
     * catch) becomes a failure with a message saying how to give the JVM more memory instead of a stack trace.
     */
    private static int executeReportingOutOfMemory(CommandLine.ParseResult parseResult) {
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } catch (OutOfMemoryError e) {
            CommandLine.ParseResult last = parseResult;
            while (last.subcommand() != null) last = last.subcommand();
            CommandLine cmd = last.commandSpec().commandLine();
            PrintWriter err = cmd.getErr();
            err.println(last.commandSpec().qualifiedName() + ": error: " + outOfMemoryMessage(e,
                    Runtime.getRuntime().maxMemory(), last.commandSpec().findOption("--batch-size") != null));
            if (stackTraceWanted(parseResult)) e.printStackTrace(err);
            err.flush();
            return EXIT_FAILURE;
        }
    }

    /** Whether {@code --stacktrace} (at any level of the command line) or {@code ENGRAM_STACKTRACE=1} asks for traces. */
    private static boolean stackTraceWanted(CommandLine.ParseResult parseResult) {
        boolean trace = "1".equals(System.getenv("ENGRAM_STACKTRACE"));
        for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            trace |= pr.hasMatchedOption("--stacktrace");
        }
        return trace;
    }

    /**
     * What a command that ran out of memory prints.
     *
     * @param e            the error
     * @param maxHeap      the JVM's heap limit in bytes
     * @param hasBatchSize whether the command has a {@code --batch-size} option to suggest
     */
    static String outOfMemoryMessage(OutOfMemoryError e, long maxHeap, boolean hasBatchSize) {
        String what = e.getMessage() == null || e.getMessage().isBlank() ? "OutOfMemoryError" : e.getMessage();
        // a larger -Xmx helps only when the heap is what ran out (not an array over the VM limit, threads, metaspace)
        boolean heap = e.getMessage() == null || what.contains("Java heap space") || what.contains("GC overhead");
        if (!heap) return "out of memory (" + what + ")" + (hasBatchSize ? "; a lower --batch-size may help" : "");
        return "out of memory (" + what + "; the JVM may use at most " + (maxHeap >> 20) + " MiB of heap)."
                + " Give it more, e.g. ENGRAM_JAVA_OPTS=-Xmx16g for the engram launcher (default -Xmx8g), or -Xmx16g"
                + " to java" + (hasBatchSize ? ", or lower --batch-size" : "");
    }

    private static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException n) return "file not found: " + n.getFile();
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }
}
