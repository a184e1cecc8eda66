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
                int at = args.indexOf("--shard");
                String shard = at >= 0 && at + 1 < args.size() ? args.get(at + 1) : null;
                for (String a : args) if (a.startsWith("--shard=")) shard = a.substring("--shard=".length());
                return Optional.of(k.get().dirName() + (shard == null ? "" : Shard.parse(shard).suffix()));
            }
        }
        return Optional.empty();
    }
}
