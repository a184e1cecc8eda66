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
 * a crash or a failing analysis never leaves a run without results it had. Last, {@link Analysis#written} lets the
 * analysis remove what it kept only to survive a crash.
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

    /** Computes a result once the checks have passed. */
    @FunctionalInterface
    private interface Computation<R> {
        R compute() throws IOException;
    }

    private static <O, R extends Analysis.Result> R executeLocked(Analysis<O, R> analysis, RunData data, O options,
                                                                 Progress progress, boolean replace) throws IOException {
        return computeAndWrite(analysis, data, replace, () -> {
            analysis.check(data, options);
            return analysis.run(data, options, progress == null ? Progress.NONE : progress);
        });
    }

    private static <O, R extends Analysis.Result> R computeAndWrite(Analysis<O, R> analysis, RunData data,
                                                                   boolean replace, Computation<R> computation)
            throws IOException {
        RunFolder run = data.run();
        run.recoverInterruptedWrites(); // a killed analysis' staging folder or moved-aside results
        String name = analysis.kind().dirName();
        List<Path> previous = analysis.previousResults(run);
        if (!previous.isEmpty() && !replace) {
            throw new IllegalStateException("run " + run.dir() + " already has " + name + " results (" + previous.get(0)
                    + "); pass --force to replace them (the earlier files are kept until the new ones are written)");
        }
        R result = computation.compute();
        Path analyses = run.analysisPath(name).getParent();
        Files.createDirectories(analyses);
        Path staging = newStagingFolder(analyses, name);
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
            publish(staging, run.analysisPath(name));
            if (backup != null) {
                RunFolder.deleteTree(backup);
                try (Stream<Path> rest = Files.list(backup.getParent())) {
                    if (rest.findAny().isEmpty()) Files.deleteIfExists(backup.getParent());
                }
            }
        } finally {
            RunFolder.deleteTree(staging);
        }
        analysis.written(run);
        return result;
    }

    /**
     * A new empty staging folder {@code analyses/.<name>.staging-<random>}, created with the default permissions (not
     * the owner-only ones of a temporary directory: it becomes the result folder by a rename, and a shared run
     * folder must stay readable by the group).
     */
    static Path newStagingFolder(Path analyses, String name) throws IOException {
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; ; attempt++) {
            Path p = analyses.resolve("." + name + ".staging-" + Long.toUnsignedString(rnd.nextLong(), 36));
            try {
                return Files.createDirectory(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 16) throw e;
            }
        }
    }

    /**
     * Moves the files written in {@code staging} into {@code target} so that a crash never leaves a partial result
     * that counts as complete: a missing folder is replaced by the staging folder in one rename; into a folder that
     * holds other files (e.g. records made during training) the files move one by one with {@code results.json}, whose
     * presence marks the result complete, last.
     */
    static void publish(Path staging, Path target) throws IOException {
        if (!Files.exists(target)) {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(staging)) {
            files = s.sorted(java.util.Comparator.comparing((Path p) -> p.getFileName().toString().equals(RunFolder.RESULTS))
                    .thenComparing(Path::toString)).toList();
        }
        Path marker = target.resolve(RunFolder.RESULTS);
        Files.deleteIfExists(marker); // incomplete until the new one is in place
        for (Path p : files) {
            Path dest = target.resolve(p.getFileName().toString());
            if (Files.exists(dest)) RunFolder.deleteTree(dest);
            Files.move(p, dest, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Runs shard {@code shard} of {@code analysis} and writes its part to
     * {@code analyses/<kind>.shard-i-of-n/part.json} (with the options, so that a merge can check that all shards
     * agree). Each shard folder has its own {@link RunLock}, so the shards of one run can run at the same time; the run
     * itself is not locked. An existing part is replaced only when {@code replace} is true, atomically.
     *
     * @return the part file
     * @throws IllegalStateException when the part exists and {@code replace} is false, or the shard is being written
     */
    public static <O, R extends Analysis.Result, P> Path executeShard(ShardedAnalysis<O, R, P> analysis, RunData data,
                                                                     O options, Shard shard, Progress progress,
                                                                     boolean replace) throws IOException {
        RunFolder run = data.run();
        Path folder = shardFolder(run, analysis, shard);
        Files.createDirectories(folder);
        try (RunLock lock = RunLock.acquire(folder, "engram " + analysis.kind().dirName() + " --shard " + shard)) {
            Path part = folder.resolve(PART);
            if (Files.exists(part) && !replace) {
                throw new IllegalStateException("run " + run.dir() + " already has shard " + shard + " of "
                        + analysis.kind().dirName() + " (" + part + "); pass --force to replace it");
            }
            analysis.check(data, options);
            P p = analysis.runShard(data, options, shard, progress == null ? Progress.NONE : progress);
            JsonObject o = new JsonObject();
            o.addProperty("analysis", analysis.kind().dirName());
            o.addProperty("shard", shard.toString());
            o.add("options", PARTS.toJsonTree(options, analysis.optionsType()));
            o.add("part", PARTS.toJsonTree(p, analysis.partType()));
            dev.engram.nn.io.AtomicFiles.writeString(part, PARTS.toJson(o) + "\n");
            return part;
        }
    }

    /**
     * Merges the parts of all shards of {@code analysis} into its results, written as {@link #execute} writes them
     * (under the run's lock; earlier results replaced only when {@code replace} is true). The shard folders are kept.
     *
     * @throws IllegalArgumentException when there are no shards, shards of different counts, a missing shard, or
     *                                  shards run with different options, naming them
     */
    public static <O, R extends Analysis.Result, P> R merge(ShardedAnalysis<O, R, P> analysis, RunData data,
                                                           Progress progress, boolean replace) throws IOException {
        RunFolder run = data.run();
        String name = analysis.kind().dirName();
        try (RunLock lock = RunLock.acquire(run.dir(), "engram merge --analysis " + name)) {
            java.util.TreeMap<Integer, java.util.TreeMap<Integer, Path>> byCount = new java.util.TreeMap<>();
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(name) + "\\.shard-(\\d+)-of-(\\d+)");
            Path analyses = run.analysisPath(name).getParent();
            if (Files.isDirectory(analyses)) {
                try (Stream<Path> s = Files.list(analyses)) {
                    for (Path d : s.toList()) {
                        java.util.regex.Matcher m = p.matcher(d.getFileName().toString());
                        if (m.matches() && Files.isRegularFile(d.resolve(PART))) {
                            byCount.computeIfAbsent(Integer.parseInt(m.group(2)), k -> new java.util.TreeMap<>())
                                    .put(Integer.parseInt(m.group(1)), d.resolve(PART));
                        }
                    }
                }
            }
            if (byCount.isEmpty()) {
                throw new IllegalArgumentException("run " + run.dir() + " has no shards of " + name + " to merge (run `engram "
                        + name + " --run " + run.dir() + " --shard i/n` for i = 1..n first)");
            }
            if (byCount.size() > 1) {
                throw new IllegalArgumentException("run " + run.dir() + " has shards of " + name + " cut " + byCount.keySet()
                        + " ways; remove the folders of the ones not wanted (" + analyses + ")");
            }
            int n = byCount.firstKey();
            java.util.TreeMap<Integer, Path> files = byCount.get(n);
            List<Integer> missing = new java.util.ArrayList<>();
            for (int i = 1; i <= n; i++) if (!files.containsKey(i)) missing.add(i);
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("run " + run.dir() + ": shards " + missing + " of " + n + " of " + name
                        + " have no part yet (still running, failed or not started)");
            }
            JsonElement options = null;
            List<P> parts = new java.util.ArrayList<>();
            for (var e : files.entrySet()) {
                JsonObject o = JsonParser.parseString(Files.readString(e.getValue())).getAsJsonObject();
                if (options == null) options = o.get("options");
                else if (!options.equals(o.get("options"))) {
                    throw new IllegalArgumentException("shard " + e.getKey() + "/" + n + " of " + name + " ran with other"
                            + " options than shard 1/" + n + ":\n  " + o.get("options") + "\n  " + options);
                }
                parts.add(PARTS.fromJson(o.get("part"), analysis.partType()));
            }
            O opts = PARTS.fromJson(options, analysis.optionsType());
            Progress pr = progress == null ? Progress.NONE : progress;
            return computeAndWrite(analysis, data, replace, () -> analysis.merge(data, opts, parts, pr));
        }
    }

    /** The folder of {@code shard}'s part of {@code analysis}. */
    public static Path shardFolder(RunFolder run, Analysis<?, ?> analysis, Shard shard) {
        return run.analysisPath(analysis.kind().dirName() + shard.suffix());
    }

    /** The file of a shard's part in its folder. */
    public static final String PART = "part.json";

    /** Gson for part files: exact doubles and floats, NaN and infinities kept. */
    private static final com.google.gson.Gson PARTS = new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues()
            .create();

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
