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
        List<List<String>> missing = new ArrayList<>();
        for (List<String> a : run.analyses()) {
            String folder = commands.resultFolder(a).orElseThrow(() ->
                    new IllegalArgumentException("'" + a.get(0) + "' is not an analysis command"));
            Path out = dir.resolve(RunFolder.ANALYSES).resolve(folder);
            boolean done = Files.isRegularFile(out.resolve(RunFolder.RESULTS)) // a shard leaves its part
                    || Files.isRegularFile(out.resolve(dev.engram.memorization.analysis.Analyses.PART));
            if (!trained || !done) {
                missing.add(a);
            }
        }
        return new RunProgress(created, trained, missing);
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
