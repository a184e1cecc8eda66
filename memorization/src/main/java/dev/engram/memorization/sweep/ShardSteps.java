package dev.engram.memorization.sweep;

import dev.engram.memorization.analysis.Shard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks the shard steps a run's analyses write out ({@code flip --shard 1/4} … {@code flip --shard 4/4} and
 * {@code merge --analysis flip}): an analysis' shard steps must be cut one way and be complete, and be merged; a
 * merge needs shard steps. Otherwise a sweep would train every run and then leave the analysis without results (a
 * shard set that is never complete, or never merged, while the run shows as done) or fail at the merge.
 */
final class ShardSteps {
    private ShardSteps() { }

    /**
     * Refuses an incomplete, mixed or unmerged set of shard steps and a merge without them.
     *
     * @throws Sweep.InvalidAnalysisException naming the analysis, the shards and the run
     */
    static void check(List<List<String>> analyses, String runName, Commands commands) {
        Map<String, List<Shard>> shards = new LinkedHashMap<>(); // results folder -> its shard steps
        List<String> merged = new ArrayList<>();
        for (List<String> a : analyses) {
            if (Piece.isMergeStep(a)) {
                commands.resultFolder(a).ifPresent(merged::add);
            } else if (Piece.isShardStep(a)) {
                commands.resultFolder(AnalysisOptions.withoutShard(a))
                        .ifPresent(f -> shards.computeIfAbsent(f, k -> new ArrayList<>()).add(shardOf(a)));
            }
        }
        String where = " in 'analyses' (run " + runName + ")";
        for (var e : shards.entrySet()) {
            String name = e.getKey();
            TreeSet<Integer> counts = new TreeSet<>();
            e.getValue().forEach(s -> counts.add(s.count()));
            if (counts.size() > 1) {
                throw new Sweep.InvalidAnalysisException("the shard steps of " + name + where + " are cut " + counts
                        + " ways; give one --shard i/n set, or {name: ..., shards: n}", null);
            }
            int n = counts.first();
            List<Integer> have = e.getValue().stream().map(Shard::index).sorted().toList();
            List<Integer> missing = new ArrayList<>();
            for (int i = 1; i <= n; i++) if (!have.contains(i)) missing.add(i);
            if (!missing.isEmpty() || have.size() != n) {
                throw new Sweep.InvalidAnalysisException("the shard steps of " + name + where + " are shards " + have
                        + " of " + n + (missing.isEmpty() ? ", some twice" : "; shards " + missing + " are missing")
                        + ": the merge needs each of 1.." + n + " once (or write {name: ..., shards: " + n + "})", null);
            }
            if (!merged.contains(name)) {
                throw new Sweep.InvalidAnalysisException("the shard steps of " + name + where + " are never merged, so"
                        + " the run would have no " + name + " results; add 'merge --analysis " + name + "' (or write"
                        + " {name: ..., shards: " + n + "})", null);
            }
        }
        for (String name : merged) {
            if (!shards.containsKey(name)) {
                throw new Sweep.InvalidAnalysisException("'merge --analysis " + name + "'" + where + " has no shard steps"
                        + " of " + name + " to merge; list them (--shard i/n for i = 1..n) or write {name: ..., shards: n}",
                        null);
            }
        }
    }

    /** The shard of the shard step {@code a}. */
    private static Shard shardOf(List<String> a) {
        Shard s = Shard.in(a);
        if (s == null) throw new IllegalArgumentException("analysis '" + String.join(" ", a) + "' has no --shard value");
        return s;
    }
}
