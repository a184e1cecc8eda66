package dev.engram.memorization.cli;

import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.ConsoleProgress;
import dev.engram.memorization.analysis.ShardedAnalysis;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.scores.CheckpointScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code engram merge --run DIR --analysis NAME}: combines the shards of a sharded analysis ({@code --shard i/n})
 * into its results, the same as an unsharded run's.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Combine the shards of an analysis run with --shard i/n (analyses/NAME.shard-i-of-n/) into its"
                + " results (analyses/NAME/), the same as an unsharded run's. Analyses with --shard: flip,"
                + " checkpoint-scores.")
public final class MergeCommand extends AnalysisCommand {
    /** The analyses that take {@code --shard}. */
    static final List<ShardedAnalysis<?, ?, ?>> SHARDED = List.of(new FlipAnalysis(), new CheckpointScores());

    @Option(names = "--analysis", paramLabel = "NAME", required = true,
            description = "The analysis: flip (or flipping) or checkpoint-scores.")
    String analysis;

    @Override
    public Integer call() throws Exception {
        String folder = new CliCommands().resultFolder(List.of(analysis)).orElse(analysis);
        ShardedAnalysis<?, ?, ?> a = SHARDED.stream().filter(x -> x.kind().dirName().equals(folder)).findFirst()
                .orElseThrow(() -> new UsageException("--analysis '" + analysis + "' has no shards to merge;"
                        + " analyses with --shard: flip, checkpoint-scores"));
        runtime.apply();
        PrintWriter out = out();
        RunData data = open(run, offline, out);
        Analysis.Result r = Analyses.merge(a, data, ConsoleProgress.of(out), force);
        SummaryRow.format(r.summaryRows()).forEach(out::println);
        out.println("wrote " + data.run().analysisPath(a.kind().dirName()));
        out.flush();
        return 0;
    }
}
