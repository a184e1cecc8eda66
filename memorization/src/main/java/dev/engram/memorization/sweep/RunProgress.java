package dev.engram.memorization.sweep;

import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How far a sweep run's folder is, read from the folder alone: created, trained to its last epoch (the provenance has
 * an end time and the final checkpoint exists), and which analyses have results.
 *
 * @param created         {@code config.json} exists
 * @param trained         training finished
 * @param missingAnalyses the analysis command lines without results yet, in order
 */
public record RunProgress(boolean created, boolean trained, List<List<String>> missingAnalyses) {
    /** Training finished and every analysis has results. */
    public boolean complete() {
        return trained && missingAnalyses.isEmpty();
    }

    /** The progress of {@code run}'s folder in {@code sweep}. */
    public static RunProgress of(Sweep sweep, SweepRun run, Commands commands) throws IOException {
        Path dir = sweep.runDir(run);
        boolean created = Files.isRegularFile(dir.resolve(RunFolder.CONFIG));
        boolean trained = created && trained(dir, run);
        List<String> merged = new ArrayList<>(); // folders of the analyses the run merges that have results
        for (List<String> a : run.analyses()) {
            if (Piece.isMergeStep(a) && Files.isRegularFile(resultDir(dir, a, commands).resolve(RunFolder.RESULTS))) {
                merged.add(resultDir(dir, a, commands).getFileName().toString());
            }
        }
        List<List<String>> missing = new ArrayList<>();
        for (List<String> a : run.analyses()) {
            Path out = resultDir(dir, a, commands);
            boolean done = Files.isRegularFile(out.resolve(RunFolder.RESULTS)) // a shard leaves its part
                    || Files.isRegularFile(out.resolve(dev.engram.memorization.analysis.Analyses.PART))
                    // a shard whose analysis is merged already is not needed again
                    || (Piece.isShardStep(a) && merged.contains(commands.resultFolder(a.subList(0, 1)).orElse("")));
            if (!trained || !done) {
                missing.add(a);
            }
        }
        return new RunProgress(created, trained, missing);
    }

    /** Whether {@code piece} of its run has nothing left to do. */
    public boolean done(Piece piece, SweepRun run) {
        if (piece.trains() && !trained) return false;
        for (List<String> a : piece.analyses(run)) if (missingAnalyses.contains(a)) return false;
        return true;
    }

    private static Path resultDir(Path runDir, List<String> analysis, Commands commands) {
        String folder = commands.resultFolder(analysis).orElseThrow(() ->
                new IllegalArgumentException("'" + analysis.get(0) + "' is not an analysis command"));
        return runDir.resolve(RunFolder.ANALYSES).resolve(folder);
    }

    private static boolean trained(Path dir, SweepRun run) {
        try {
            RunFolder f = RunFolder.open(dir);
            return f.provenance().map(p -> p.endTime() != null && !p.endTime().isEmpty()).orElse(false)
                    && Files.isRegularFile(f.checkpointPath(run.config().epochs()));
        } catch (RuntimeException e) {
            return false; // an unreadable folder is not trained; the task's train step reports why
        }
    }
}
