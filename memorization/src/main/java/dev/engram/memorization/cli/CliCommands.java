package dev.engram.memorization.cli;

import dev.engram.memorization.analysis.Shard;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.sweep.Commands;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The sweep's view of this command line: runs {@code engram} subcommands in-process and names their result folders. */
final class CliCommands implements Commands {
    /** The launcher's main class, for child processes and Slurm tasks. */
    static final String MAIN_CLASS = EngramCli.class.getName();

    @Override
    public int run(List<String> args, PrintWriter out, PrintWriter err) {
        return EngramCli.run(out, err, args.toArray(String[]::new));
    }

    @Override
    public boolean shardable(String name) {
        Optional<String> folder = resultFolder(List.of(name));
        return folder.isPresent() && MergeCommand.SHARDED.stream().anyMatch(a -> a.kind().dirName().equals(folder.get()));
    }

    /**
     * Parses {@code args} with the command's own picocli definition, as {@link #run} would with the {@code --run} the
     * sweep adds, and rejects what it refuses; also a request for help or the version, which would run nothing.
     */
    @Override
    public void check(List<String> args) {
        CommandLine.ParseResult parsed;
        try {
            parsed = parse(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                throw new IllegalArgumentException("asks for help or the version, which runs no analysis");
            }
        }
    }

    /** {@code args} parsed as {@link #run} would parse them with the {@code --run} the sweep adds (not read here). */
    private static CommandLine.ParseResult parse(List<String> args) {
        CommandLine cl = EngramCli.commandLine(new PrintWriter(PrintWriter.nullWriter()), new PrintWriter(PrintWriter.nullWriter()));
        List<String> line = new ArrayList<>(args);
        line.addAll(1, List.of("--run", "RUN_DIR"));
        return cl.parseArgs(line.toArray(String[]::new));
    }

    /** Options that do not change an analysis' results (results are the same bits on any number of threads). */
    private static final java.util.Set<String> NOT_RESULTS = java.util.Set.of("--run", "--threads", "--offline", "--force",
            "--stacktrace");

    /**
     * The command's name, then {@code --option=value} for each of its options after parsing (defaults included) except
     * those that do not change its results, sorted.
     */
    @Override
    public List<String> canonical(List<String> args) {
        return canonicalForms.computeIfAbsent(List.copyOf(args), this::parseCanonical); // lines repeat across runs
    }

    private final java.util.Map<List<String>, List<String>> canonicalForms = new java.util.concurrent.ConcurrentHashMap<>();

    private List<String> parseCanonical(List<String> args) {
        CommandLine.ParseResult parsed;
        try {
            parsed = parse(args);
        } catch (CommandLine.ParameterException e) {
            return args;
        }
        if (parsed.subcommand() == null) return args;
        CommandLine.Model.CommandSpec spec = parsed.subcommand().commandSpec();
        List<String> options = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp() || NOT_RESULTS.contains(o.longestName())) continue;
            Object v = o.getValue();
            options.add(o.longestName() + "=" + (v instanceof Object[] a ? java.util.Arrays.deepToString(a) : String.valueOf(v)));
        }
        java.util.Collections.sort(options);
        options.add(0, spec.name());
        return options;
    }

    @Override
    public Optional<String> resultFolder(List<String> args) {
        CommandLine cl = EngramCli.commandLine(new PrintWriter(PrintWriter.nullWriter()), new PrintWriter(PrintWriter.nullWriter()));
        CommandLine sub = cl.getSubcommands().get(args.get(0));
        if (sub == null || !(sub.getCommand() instanceof AnalysisCommand)) return Optional.empty();
        if (sub.getCommand() instanceof MergeCommand) { // merge writes the merged analysis' folder
            int at = args.indexOf("--analysis");
            return at >= 0 && at + 1 < args.size() ? resultFolder(List.of(args.get(at + 1))) : Optional.empty();
        }
        List<String> names = new ArrayList<>(List.of(sub.getCommandSpec().aliases()));
        names.add(0, sub.getCommandName());
        for (String n : names) {
            Optional<AnalysisKind> k = AnalysisKind.byDirName(n);
            if (k.isPresent()) {
                Shard shard = Shard.in(args);
                return Optional.of(k.get().dirName() + (shard == null ? "" : shard.suffix()));
            }
        }
        return Optional.empty();
    }
}
