package dev.engram.memorization.sweep;

import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The options with which a sweep run computes each of its results: a run folder holds one result per analysis
 * ({@code analyses/<name>/}), and a sweep task skips an analysis whose results are there. So a run must list each
 * analysis with one set of options (the shard steps of one analysis differ only in {@code --shard}), and a sweep file
 * planned into an existing folder must not change the options of an analysis a run has results of: its task would
 * skip it and the aggregate would report the old results as the new options'.
 */
final class AnalysisOptions {
    private AnalysisOptions() { }

    /**
     * Per results folder (the merged analysis' for shard steps), the command lines without {@code --shard} that
     * compute it; merges, which compute nothing of their own, are left out.
     */
    static Map<String, Map<List<String>, List<String>>> byResults(List<List<String>> analyses, Commands commands) {
        Map<String, Map<List<String>, List<String>>> out = new LinkedHashMap<>();
        for (List<String> a : analyses) {
            if (Piece.isMergeStep(a)) continue;
            List<String> line = withoutShard(a);
            // keyed by the parsed options, so that the same options spelt another way count as one
            commands.resultFolder(line).ifPresent(f -> out.computeIfAbsent(f, k -> new LinkedHashMap<>())
                    .putIfAbsent(commands.canonical(line), line));
        }
        return out;
    }

    /**
     * Refuses a run that lists one analysis with different options.
     *
     * @throws Sweep.InvalidAnalysisException naming the lines and the run
     */
    static void checkOnePerResults(List<List<String>> analyses, String runName, Commands commands) {
        byResults(analyses, commands).forEach((folder, forms) -> {
            if (forms.size() > 1) {
                Set<List<String>> lines = new LinkedHashSet<>(forms.values());
                throw new Sweep.InvalidAnalysisException("analyses " + quoted(lines) + " in 'analyses' (run " + runName
                        + ") all write analyses/" + folder + "/, and a run keeps one result per analysis; list it once"
                        + " (to compare options, make the option an axis, e.g. " + axisExample(lines) + ")", null);
            }
        });
    }

    /**
     * Refuses to change the options of an analysis that run {@code runDir} has results of (or shard parts).
     *
     * @param before the run's analyses in the existing manifest
     * @param now    its analyses in the sweep file
     * @throws Sweep.InvalidAnalysisException naming the run, the analysis and both command lines
     */
    static void checkUnchanged(List<List<String>> before, List<List<String>> now, String runName, Path runDir,
                               Commands commands) throws IOException {
        Map<String, Map<List<String>, List<String>>> was = byResults(before, commands);
        for (var e : byResults(now, commands).entrySet()) {
            Map<List<String>, List<String>> old = was.get(e.getKey());
            if (old == null || old.keySet().equals(e.getValue().keySet()) || !hasResults(runDir, e.getKey())) continue;
            throw new Sweep.InvalidAnalysisException("run " + runName + " has results of " + quoted(new LinkedHashSet<>(
                    old.values())) + " in " + runDir.resolve(RunFolder.ANALYSES).resolve(e.getKey()) + " (or its shards),"
                    + " and the sweep file now lists " + quoted(new LinkedHashSet<>(e.getValue().values()))
                    + "; a finished analysis is not run again, so its old results would be"
                    + " reported as the new options'. Use another --dir, or remove those results to recompute them", null);
        }
    }

    /** Whether the run has results of the analysis writing {@code folder}, or a part of one of its shards. */
    static boolean hasResults(Path runDir, String folder) throws IOException {
        Path analyses = runDir.resolve(RunFolder.ANALYSES);
        if (Files.isRegularFile(analyses.resolve(folder).resolve(RunFolder.RESULTS))) return true;
        if (!Files.isDirectory(analyses)) return false;
        try (Stream<Path> s = Files.list(analyses)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(folder + ".shard-")
                    && Files.isRegularFile(p.resolve(Analyses.PART)));
        }
    }

    /** {@code a} without {@code --shard i/n} or {@code --shard=i/n}. */
    static List<String> withoutShard(List<String> a) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String w = a.get(i);
            if (w.equals("--shard")) i++;
            else if (!w.startsWith("--shard=")) out.add(w);
        }
        return out;
    }

    private static String quoted(Set<List<String>> lines) {
        return String.join(" and ", lines.stream().map(l -> "'" + String.join(" ", l) + "'").toList());
    }

    private static String axisExample(Set<List<String>> lines) {
        for (List<String> l : lines) {
            for (String w : l) if (w.startsWith("--")) return l.get(0) + "." + w.substring(2).split("=")[0] + ": [...]";
        }
        return "ANALYSIS.OPTION: [...]";
    }
}
