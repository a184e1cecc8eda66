package dev.engram.memorization.cli;

import dev.engram.datasets.DownloadListener;
import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.ConsoleProgress;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * What every analysis command shares: {@code --run DIR}, {@code --offline}, {@code --force}, {@code --device},
 * {@code --threads}; and the one loop that opens the run, runs the analysis through {@link Analyses#execute} and
 * prints its summary rows and folder. A subcommand only turns its options into the analysis' options record.
 */
public abstract class AnalysisCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", converter = RunFolderOption.class, required = true,
            description = "Run folder (made by `engram train`).")
    Path run;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Option(names = "--force", description = "Replace earlier results of this analysis (kept until the new ones are written).")
    boolean force;

    /** The standard output of the command. */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Opens the run with the built-in datasets (offline when asked), printing the dataset module's messages. */
    static RunData open(Path run, boolean offline, PrintWriter out) {
        return RunData.open(run, DataSource.catalog(fetchOptions(offline, out)));
    }

    /** Fetch options that print the dataset module's messages. */
    static FetchOptions fetchOptions(boolean offline, PrintWriter out) {
        return FetchOptions.defaults().withOffline(offline).withListener(new DownloadListener() {
            @Override public void progress(String file, long bytes, long total) { }

            @Override public void message(String text) {
                out.println(text);
                out.flush();
            }
        });
    }

    /**
     * Configures the engine, opens the run, runs {@code analysis} with {@code options} (progress lines to standard
     * output), prints the summary rows and the folder written, and returns the result.
     */
    <O, R extends Analysis.Result> R execute(Analysis<O, R> analysis, O options) throws Exception {
        runtime.apply();
        PrintWriter out = out();
        RunData data = open(run, offline, out);
        R r = Analyses.execute(analysis, data, options, ConsoleProgress.of(out), force);
        SummaryRow.format(r.summaryRows()).forEach(out::println);
        out.println("wrote " + data.run().analysisPath(analysis.kind().dirName()));
        out.flush();
        return r;
    }

    /**
     * Configures the engine, opens the run, runs shard {@code shard} ({@code i/n}) of {@code analysis} into its shard
     * folder and prints where it went and how to merge the shards.
     */
    <O, R extends Analysis.Result, P> void executeShard(dev.engram.memorization.analysis.ShardedAnalysis<O, R, P> analysis,
                                                        O options, String shard) throws Exception {
        dev.engram.memorization.analysis.Shard s = UsageException.validate("--shard",
                () -> dev.engram.memorization.analysis.Shard.parse(shard));
        runtime.apply();
        PrintWriter out = out();
        RunData data = open(run, offline, out);
        Path part = Analyses.executeShard(analysis, data, options, s, ConsoleProgress.of(out), force);
        out.println("wrote shard " + s + " of " + analysis.kind().dirName() + ": " + part);
        out.println("when all " + s.count() + " shards are done: engram merge --run " + run + " --analysis "
                + analysis.kind().dirName());
        out.flush();
    }
}
