package dev.engram.memorization.sweep;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.io.StructuredFile;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A sweep folder: the manifest {@code sweep.json} listing every run (name, axis values, configuration, analyses),
 * {@code configs/<run>.json}, the run folders {@code runs/<run>/}, the task logs {@code logs/<run>.log} and the task
 * states {@code state/<run>.json} (a fanned-out run's shard and merge tasks: {@code logs/<run>.shard-J.log},
 * {@code logs/<run>.merge.log} and the same under {@code state/}, see {@link Piece}). The manifest is all a task needs, so a node of a cluster runs a task from the
 * folder alone.
 *
 * <p>Planning a sweep file into an existing folder extends it: runs already listed keep their index and must keep
 * their configuration (their analyses may change, except the options of an analysis a run has results of,
 * {@link AnalysisOptions}), new runs are appended, so array indices of a running job stay
 * valid.
 */
public final class Sweep {
    /** The manifest's file name. */
    public static final String MANIFEST = "sweep.json";

    private final Path dir;
    private final String name;
    private final List<SweepRun> runs;
    private final boolean offline;
    private final SlurmOptions slurm;

    private Sweep(Path dir, String name, List<SweepRun> runs, boolean offline, SlurmOptions slurm) {
        this.dir = dir.toAbsolutePath().normalize();
        this.name = name;
        this.runs = List.copyOf(runs);
        this.offline = offline;
        this.slurm = slurm;
    }

    /**
     * The sweep of {@code spec} in {@code dir}: the product of its axes, merged with the manifest already in
     * {@code dir} (if any). Writes nothing.
     *
     * @throws InvalidAnalysisException for an analysis command line (with a run's axis options) that its command
     *                                   refuses: an unknown option, a value of the wrong type …; for one analysis
     *                                   listed with different options, or with options other than those of the
     *                                   results a run of the existing manifest has ({@link AnalysisOptions}); for
     *                                   shard steps that are incomplete or never merged ({@link ShardSteps})
     * @throws IllegalArgumentException for an analysis that is not an analysis command, an axis option of an analysis
     *                                  not listed, an invalid configuration (naming the run), two runs with one name,
     *                                  or a run of the existing manifest whose configuration would change
     */
    public static Sweep plan(SweepSpec spec, Path dir, Commands commands) throws IOException {
        List<SweepRun> fresh = expand(spec, commands);
        List<SweepRun> merged = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve(MANIFEST))) {
            Sweep old = open(dir);
            if (!old.name.equals(spec.name())) {
                throw new IllegalArgumentException(dir + " holds sweep '" + old.name + "', not '" + spec.name()
                        + "'; choose another --dir");
            }
            Map<String, SweepRun> byName = new LinkedHashMap<>();
            fresh.forEach(r -> byName.put(r.name(), r));
            for (SweepRun r : old.runs) {
                SweepRun now = byName.remove(r.name());
                if (now != null && !now.config().equals(r.config())) {
                    throw new IllegalArgumentException("run " + r.name() + " of " + dir.resolve(MANIFEST)
                            + " has another configuration than the sweep file gives it now:\n  was " + r.config()
                            + "\n  now " + now.config() + "\nchoose another --dir for a changed base configuration");
                }
                if (now != null) {
                    AnalysisOptions.checkUnchanged(r.analyses(), now.analyses(), r.name(), old.runDir(r),
                            commands);
                }
                merged.add(now == null ? r : new SweepRun(r.index(), r.name(), r.axes(), r.config(), now.analyses()));
            }
            merged.addAll(byName.values());
        } else {
            merged.addAll(fresh);
        }
        List<SweepRun> indexed = new ArrayList<>();
        for (int i = 0; i < merged.size(); i++) indexed.add(merged.get(i).at(i));
        return new Sweep(dir, spec.name(), indexed, spec.offline(), spec.slurm());
    }

    /** The runs of {@code spec}, in product order (first axis outermost). */
    static List<SweepRun> expand(SweepSpec spec, Commands commands) {
        List<String> analysisNames = new ArrayList<>();
        for (List<String> a : spec.analyses()) {
            if (commands.resultFolder(a).isEmpty()) {
                throw new IllegalArgumentException("'" + a.get(0) + "' in 'analyses' is not an analysis command");
            }
            if (Piece.isShardStep(a) && !commands.shardable(a.get(0))) {
                throw new IllegalArgumentException("'" + String.join(" ", a) + "' in 'analyses': " + a.get(0)
                        + " has no --shard (analyses with shards: flip, checkpoint-scores)");
            }
            analysisNames.add(a.get(0));
        }
        checkAnalyses(spec.analyses(), "", commands);
        for (Axis axis : spec.axes()) {
            for (String k : axis.keys()) {
                if (k.contains(".") && !analysisNames.contains(k.substring(0, k.indexOf('.')))) {
                    throw new IllegalArgumentException("axis key '" + k + "' is an option of analysis '"
                            + k.substring(0, k.indexOf('.')) + "', which 'analyses' does not list " + analysisNames);
                }
            }
        }
        List<Map<String, Object>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Axis axis : spec.axes()) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> p : points) {
                for (List<Object> values : axis.points()) {
                    Map<String, Object> q = new LinkedHashMap<>(p);
                    for (int k = 0; k < values.size(); k++) q.put(axis.keys().get(k), values.get(k));
                    next.add(q);
                }
            }
            points = next;
        }
        List<SweepRun> out = new ArrayList<>();
        Map<String, Integer> names = new LinkedHashMap<>();
        for (Map<String, Object> p : points) {
            String runName = runName(p);
            Map<String, Object> values = new LinkedHashMap<>(spec.base());
            List<List<String>> analyses = new ArrayList<>();
            for (List<String> a : spec.analyses()) analyses.add(new ArrayList<>(a));
            p.forEach((k, v) -> {
                int dot = k.indexOf('.');
                if (dot < 0) {
                    values.put(k, v);
                } else {
                    String analysis = k.substring(0, dot), option = k.substring(dot + 1);
                    for (List<String> a : analyses) {
                        if (a.get(0).equals(analysis)) {
                            a.add(option.startsWith("-") ? option : "--" + option);
                            a.add(format(v));
                        }
                    }
                }
            });
            if (values.get("dataset") instanceof String d) values.put("dataset", ExperimentConfig.datasetSpec(d, spec.baseDir()));
            String source = "sweep run " + runName;
            ExperimentConfig config;
            try {
                ExperimentConfig start = ExperimentConfig.preset(spec.preset(),
                        values.get("dataset") instanceof String d ? d : "mnist",
                        values.get("model") instanceof String m ? m : "resnet9");
                config = start.withValues(values, source);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(source) ? e.getMessage() : source + ": " + e.getMessage(), e);
            }
            List<List<String>> withAxes = new ArrayList<>(analyses);
            withAxes.removeAll(spec.analyses()); // checked above
            checkAnalyses(withAxes, " (run " + runName + ")", commands);
            AnalysisOptions.checkOnePerResults(analyses, runName, commands);
            ShardSteps.check(analyses, runName, commands);
            Integer before = names.put(runName, out.size());
            if (before != null) throw new IllegalArgumentException("two runs are named " + runName + " (repeated axis values?)");
            out.add(new SweepRun(out.size(), runName, p, config, analyses));
        }
        return out;
    }

    /**
     * A command line of 'analyses' (with the axis options of a run) that its command refuses, found when the sweep is
     * planned, before any run trains: a usage error in the sweep file.
     */
    public static final class InvalidAnalysisException extends IllegalArgumentException {
        InvalidAnalysisException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Checks every analysis command line of the runs of this sweep with {@link Commands#check} (for a sweep folder
     * whose manifest was planned by another version), and that each run lists each analysis with one set of options.
     *
     * @throws InvalidAnalysisException naming the analysis and the run, with the command's message
     */
    public void checkAnalyses(Commands commands) {
        java.util.Set<List<String>> seen = new java.util.HashSet<>();
        for (SweepRun r : runs) {
            List<List<String>> fresh = r.analyses().stream().filter(seen::add).toList();
            checkAnalyses(fresh, " (run " + r.name() + ")", commands);
            AnalysisOptions.checkOnePerResults(r.analyses(), r.name(), commands);
            ShardSteps.check(r.analyses(), r.name(), commands);
        }
    }

    /** Checks each of {@code analyses}; {@code where} follows the analysis in the message. */
    private static void checkAnalyses(List<List<String>> analyses, String where, Commands commands) {
        for (List<String> a : analyses) {
            try {
                commands.check(a);
            } catch (IllegalArgumentException e) {
                throw new InvalidAnalysisException("analysis '" + String.join(" ", a) + "'" + where + " in 'analyses': "
                        + e.getMessage() + " (see `engram " + a.get(0) + " --help`)", e);
            }
        }
    }

    /** {@code key=value} of every axis, joined with {@code _}; characters unsafe in file names become {@code -}. */
    static String runName(Map<String, Object> point) {
        if (point.isEmpty()) return "run";
        List<String> parts = new ArrayList<>();
        point.forEach((k, v) -> parts.add(k + "=" + format(v)));
        return String.join("_", parts).replaceAll("[^A-Za-z0-9._=+-]", "-");
    }

    /** A value as it appears on a command line and in a run name: numbers without superfluous digits. */
    static String format(Object v) {
        if (v instanceof Double d && Double.isFinite(d)) return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return String.valueOf(v);
    }

    /** Reads the manifest of the sweep folder {@code dir}. */
    public static Sweep open(Path dir) throws IOException {
        Path f = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("no sweep in " + dir + " (missing " + MANIFEST + "); plan one with `engram sweep SWEEP.yaml`");
        }
        JsonObject o = Results.readObject(f);
        List<SweepRun> runs = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("runs")) {
            JsonObject r = e.getAsJsonObject();
            String runName = r.get("name").getAsString();
            @SuppressWarnings("unchecked")
            Map<String, Object> axes = (Map<String, Object>) StructuredFile.plain(r.get("axes"));
            List<List<String>> analyses = new ArrayList<>();
            for (JsonElement a : r.getAsJsonArray("analyses")) {
                List<String> words = new ArrayList<>();
                a.getAsJsonArray().forEach(w -> words.add(w.getAsString()));
                analyses.add(words);
            }
            runs.add(new SweepRun(r.get("index").getAsInt(), runName, axes,
                    ExperimentConfig.fromJson(r.get("config").toString(), f + " run " + runName), analyses));
        }
        SlurmOptions slurm = Results.GSON.fromJson(o.get("slurm"), SlurmOptions.class);
        return new Sweep(dir, o.get("name").getAsString(), runs, o.get("offline").getAsBoolean(),
                new SlurmOptions(slurm.partition(), slurm.time(), slurm.mem(), slurm.cpus(), slurm.gpus(), slurm.extra(),
                        slurm.preamble(), slurm.launcher(), slurm.maxParallel()));
    }

    /** Writes the manifest and {@code configs/<run>.json} (atomically, each). */
    public void write() throws IOException {
        Files.createDirectories(dir);
        for (SweepRun r : runs) {
            Path c = configFile(r);
            Files.createDirectories(c.getParent());
            if (!Files.isRegularFile(c) || !Files.readString(c).equals(r.config().toJson())) {
                dev.engram.nn.io.AtomicFiles.writeString(c, r.config().toJson());
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        o.addProperty("offline", offline);
        o.add("slurm", Results.GSON.toJsonTree(slurm));
        JsonArray a = new JsonArray();
        for (SweepRun r : runs) {
            JsonObject j = new JsonObject();
            j.addProperty("index", r.index());
            j.addProperty("name", r.name());
            j.add("axes", Results.GSON.toJsonTree(r.axes()));
            j.add("config", Results.GSON.toJsonTree(r.config()));
            j.add("analyses", Results.GSON.toJsonTree(r.analyses()));
            a.add(j);
        }
        o.add("runs", a);
        Results.writeJson(dir.resolve(MANIFEST), o);
    }

    /** The sweep folder. */
    public Path dir() {
        return dir;
    }

    /** The sweep's name. */
    public String name() {
        return name;
    }

    /** The runs, by index. */
    public List<SweepRun> runs() {
        return runs;
    }

    /** The run of array index {@code index}. */
    public SweepRun run(int index) {
        if (index < 0 || index >= runs.size()) {
            throw new IllegalArgumentException("sweep " + dir + (runs.isEmpty() ? " has no runs" : " has runs 0.."
                    + (runs.size() - 1)) + ", not index " + index);
        }
        return runs.get(index);
    }

    /** The run named {@code runName}, if any. */
    public Optional<SweepRun> run(String runName) {
        return runs.stream().filter(r -> r.name().equals(runName)).findFirst();
    }

    /** Whether runs use only the dataset cache. */
    public boolean offline() {
        return offline;
    }

    /** The Slurm requests of the sweep file. */
    public SlurmOptions slurm() {
        return slurm;
    }

    /** The run folder of {@code r}. */
    public Path runDir(SweepRun r) {
        return dir.resolve("runs").resolve(r.name());
    }

    /** The configuration file {@code engram train --config} reads for {@code r}. */
    public Path configFile(SweepRun r) {
        return dir.resolve("configs").resolve(r.name() + ".json");
    }

    /** The log of {@code r}'s task (its run piece). */
    public Path logFile(SweepRun r) {
        return dir.resolve("logs").resolve(r.name() + ".log");
    }

    /** The state file of {@code r}'s task (its run piece). */
    public Path stateFile(SweepRun r) {
        return dir.resolve("state").resolve(r.name() + ".json");
    }

    /** The log of the task of piece {@code p} of {@code r}: {@code logs/<run>.log}, {@code logs/<run>.shard-J.log} … */
    public Path logFile(SweepRun r, Piece p) {
        return dir.resolve("logs").resolve(r.name() + p.suffix() + ".log");
    }

    /** The state file of the task of piece {@code p} of {@code r}. */
    public Path stateFile(SweepRun r, Piece p) {
        return dir.resolve("state").resolve(r.name() + p.suffix() + ".json");
    }
}
