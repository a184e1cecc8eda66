package dev.engram.memorization.analysis;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunLock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs analyses on a run: the one loop the CLI, the demo and library callers share.
 *
 * <p>{@link #execute} holds the run's {@link RunLock} throughout and: (1) refuses, before any work, when earlier results exist and {@code replace} is false, naming
 * them and {@code --force}; (2) checks the options against the run; (3) computes the result; (4) writes its files into
 * a hidden staging folder beside the analysis folder and only then moves them into place. Earlier results being
 * replaced are first moved to {@code analyses/.replaced/<kind>-<time>/} and deleted once the new ones are in place, so
 * a crash or a failing analysis never leaves a run without results it had.
 */
public final class Analyses {
    /** Hidden folder under {@code analyses/} holding results that are being replaced. */
    public static final String REPLACED = ".replaced";

    private Analyses() { }

    /**
     * Runs {@code analysis} on {@code data} and writes its files into {@code analyses/<kind>/}.
     *
     * @param replace replace earlier results (the CLI's {@code --force}); false refuses when they exist
     * @throws IllegalStateException when earlier results exist and {@code replace} is false
     */
    public static <O, R extends Analysis.Result> R execute(Analysis<O, R> analysis, RunData data, O options,
                                                          Progress progress, boolean replace) throws IOException {
        RunFolder run = data.run();
        try (RunLock lock = RunLock.acquire(run.dir(), "engram " + analysis.kind().dirName())) {
            return executeLocked(analysis, data, options, progress, replace);
        }
    }

    private static <O, R extends Analysis.Result> R executeLocked(Analysis<O, R> analysis, RunData data, O options,
                                                                 Progress progress, boolean replace) throws IOException {
        RunFolder run = data.run();
        run.recoverInterruptedWrites(); // a killed analysis' staging folder or moved-aside results
        String name = analysis.kind().dirName();
        List<Path> previous = analysis.previousResults(run);
        if (!previous.isEmpty() && !replace) {
            throw new IllegalStateException("run " + run.dir() + " already has " + name + " results (" + previous.get(0)
                    + "); pass --force to replace them (the earlier files are kept until the new ones are written)");
        }
        analysis.check(data, options);
        R result = analysis.run(data, options, progress == null ? Progress.NONE : progress);
        Path analyses = run.analysisPath(name).getParent();
        Files.createDirectories(analyses);
        Path staging = Files.createTempDirectory(analyses, "." + name + ".staging-");
        try {
            analysis.write(result, staging);
            storeSummaryRows(staging.resolve(RunFolder.RESULTS), result.summaryRows());
            Path backup = null;
            if (!previous.isEmpty()) {
                backup = analyses.resolve(REPLACED).resolve(name + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")));
                Files.createDirectories(backup);
                for (Path p : previous) {
                    Files.move(p, backup.resolve(run.analysisPath(name).relativize(p).toString().isEmpty()
                            ? "folder" : run.analysisPath(name).relativize(p).toString()));
                }
            }
            Path target = run.analysisDir(name);
            try (Stream<Path> s = Files.list(staging)) {
                for (Path p : s.toList()) {
                    Path dest = target.resolve(p.getFileName().toString());
                    if (Files.exists(dest)) RunFolder.deleteTree(dest);
                    Files.move(p, dest, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            if (backup != null) {
                RunFolder.deleteTree(backup);
                try (Stream<Path> rest = Files.list(backup.getParent())) {
                    if (rest.findAny().isEmpty()) Files.deleteIfExists(backup.getParent());
                }
            }
        } finally {
            RunFolder.deleteTree(staging);
        }
        return result;
    }

    /**
     * Adds {@code rows} to the results.json {@code file} under {@link Results#SUMMARY_ROWS} (nothing when the analysis
     * wrote no results.json or it is not a JSON object).
     */
    static void storeSummaryRows(Path file, List<SummaryRow> rows) throws IOException {
        if (!Files.isRegularFile(file)) return;
        JsonElement e = JsonParser.parseString(Files.readString(file));
        if (!e.isJsonObject()) return;
        JsonObject o = e.getAsJsonObject();
        o.add(Results.SUMMARY_ROWS, Results.GSON.toJsonTree(rows == null ? List.of() : rows));
        Results.writeJson(file, o);
    }

}
