package dev.engram.memorization.sweep;

import dev.engram.memorization.io.StructuredFile;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep file (YAML or JSON) as written by a researcher:
 *
 * <pre>{@code
 * name: noise-grid              # optional; default: the file name without extension
 * preset: paper                 # starting configuration: paper (default), demo or repro-cpu
 * base:                         # keys of config.json; own-dataset paths are relative to this file
 *   dataset: mnist
 *   model: resnet9
 *   epochs: 20
 * axes:                         # the product of all axes, first axis outermost
 *   noiseFraction: [0.05, 0.1, 0.2]
 *   peakLr: {from: 0.01, to: 0.05, step: 0.02}      # or {from, to, count}
 *   noiseFraction/peakLr: [[0.1, 0.01], [0.2, 0.02]] # zipped keys: one value each per point
 *   etd.grid: ["0.2:0.1", "0.4:0.2"]                 # option --grid of the analysis etd
 * seeds: [4, 5, 6]              # the innermost axis 'seed'
 * analyses:                     # run on each run, in order (engram subcommands without --run)
 *   - flip --noisy 100 --clean 100
 *   - checkpoint-scores
 *   - {name: flip, args: "--noisy 100", shards: 4}  # 4 shard tasks after training, then a merge task
 * offline: true                 # datasets from the cache only
 * slurm: {partition: gpu, time: "02:00:00", mem: 16G, cpus: 8, gpus: 1}
 * }</pre>
 *
 * @param name     the sweep's name
 * @param preset   the starting configuration ({@link ExperimentConfig#PRESETS})
 * @param base     config keys and values every run shares (before the axes)
 * @param axes     the axes, outermost first
 * @param analyses analysis command lines (command name first, without {@code --run})
 * @param offline  whether runs use only the dataset cache
 * @param slurm    the Slurm requests
 * @param baseDir  folder against which own-dataset paths are resolved (the sweep file's)
 */
public record SweepSpec(String name, String preset, Map<String, Object> base, List<Axis> axes,
                        List<List<String>> analyses, boolean offline, SlurmOptions slurm, Path baseDir) {
    /** Keys a sweep file may have. */
    public static final List<String> KEYS = List.of("name", "preset", "base", "axes", "seeds", "analyses", "offline", "slurm");

    /** Copies and validates the name. */
    public SweepSpec {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("sweep name '" + name + "' must be letters, digits, '.', '_' or '-'");
        }
        base = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(base));
        axes = List.copyOf(axes);
        analyses = analyses.stream().map(List::copyOf).toList();
    }

    /** Reads and checks a sweep file; the message of a bad one names the file and the key. */
    public static SweepSpec read(Path file) throws IOException {
        Map<String, Object> m = StructuredFile.read(file);
        try {
            return parse(m, defaultName(file), file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static String defaultName(Path file) {
        String n = file.getFileName().toString();
        return n.contains(".") ? n.substring(0, n.lastIndexOf('.')) : n;
    }

    /** Parses the top-level mapping of a sweep file. */
    static SweepSpec parse(Map<String, Object> m, String defaultName, Path baseDir) {
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown sweep key '" + k + "'; known: " + KEYS);
        }
        String name = m.containsKey("name") ? String.valueOf(m.get("name")) : defaultName;
        String preset = m.containsKey("preset") ? String.valueOf(m.get("preset")) : "paper";
        if (!ExperimentConfig.PRESETS.contains(preset)) {
            throw new IllegalArgumentException("preset '" + preset + "' is not one of " + ExperimentConfig.PRESETS);
        }
        Map<String, Object> base = new LinkedHashMap<>();
        if (m.get("base") != null) {
            if (!(m.get("base") instanceof Map<?, ?> b)) throw new IllegalArgumentException("'base' must be a mapping of config keys");
            b.forEach((k, v) -> base.put(String.valueOf(k), v));
        }
        List<Axis> axes = new ArrayList<>();
        if (m.get("axes") != null) {
            if (!(m.get("axes") instanceof Map<?, ?> a)) throw new IllegalArgumentException("'axes' must be a mapping of keys to values");
            a.forEach((k, v) -> axes.add(Axis.parse(String.valueOf(k), v)));
        }
        if (m.get("seeds") != null) {
            for (Axis a : axes) {
                if (a.keys().contains("seed")) throw new IllegalArgumentException("'seeds' and an axis 'seed' both given; use one");
            }
            axes.add(Axis.parse("seed", m.get("seeds")));
        }
        List<String> seen = new ArrayList<>();
        for (Axis a : axes) {
            for (String k : a.keys()) {
                if (seen.contains(k)) throw new IllegalArgumentException("key '" + k + "' is on more than one axis");
                if (base.containsKey(k)) throw new IllegalArgumentException("key '" + k + "' is both in 'base' and on an axis");
                seen.add(k);
            }
        }
        List<List<String>> analyses = new ArrayList<>();
        if (m.get("analyses") != null) {
            if (!(m.get("analyses") instanceof List<?> l)) throw new IllegalArgumentException("'analyses' must be a list of command lines");
            for (Object o : l) analyses.addAll(analysis(o));
        }
        boolean offline = false;
        if (m.get("offline") != null) {
            if (!(m.get("offline") instanceof Boolean b)) throw new IllegalArgumentException("'offline' must be true or false");
            offline = b;
        }
        return new SweepSpec(name, preset, base, axes, analyses, offline, SlurmOptions.parse(m.get("slurm")), baseDir);
    }

    /**
     * The command lines of one entry of {@code analyses}: a command line, or a mapping {@code {name: flip, args:
     * "--noisy 100", shards: 4}} whose {@code shards: n > 1} gives the n shard steps {@code flip --noisy 100 --shard
     * i/n} and the step {@code merge --analysis flip} (executors run the shards as tasks of their own).
     */
    static List<List<String>> analysis(Object o) {
        if (!(o instanceof Map<?, ?> m)) return List.of(commandLine(o));
        List<String> known = List.of("name", "args", "shards");
        for (Object k : m.keySet()) {
            if (!known.contains(String.valueOf(k))) {
                throw new IllegalArgumentException("unknown key '" + k + "' in analysis " + m + "; known: " + known);
            }
        }
        if (!(m.get("name") instanceof String name) || name.isBlank() || name.contains(" ")) {
            throw new IllegalArgumentException("analysis " + m + " needs a 'name' (an analysis command, e.g. flip)");
        }
        List<String> words = new ArrayList<>(List.of(name));
        Object args = m.get("args");
        if (args instanceof String s && !s.isBlank()) words.addAll(List.of(s.trim().split("\\s+")));
        else if (args instanceof List<?> l) l.forEach(x -> words.add(String.valueOf(x)));
        else if (args != null && !(args instanceof String)) {
            throw new IllegalArgumentException("'args' of analysis " + name + " must be a string or a list of words, got " + args);
        }
        List<String> line = commandLine(words);
        Object shards = m.get("shards");
        if (shards == null) return List.of(line);
        if (!(shards instanceof Long n) || n < 1 || n > 100_000) {
            throw new IllegalArgumentException("'shards' of analysis " + name + " must be an integer from 1 to 100000, got " + shards);
        }
        if (name.equals("merge")) throw new IllegalArgumentException("'merge' cannot be sharded; give 'shards' to the analysis");
        if (line.stream().anyMatch(w -> w.equals("--shard") || w.startsWith("--shard="))) {
            throw new IllegalArgumentException("analysis " + name + " gives both 'shards' and --shard; 'shards' sets --shard");
        }
        if (n == 1) return List.of(line);
        List<List<String>> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            List<String> shard = new ArrayList<>(line);
            shard.add("--shard");
            shard.add(i + "/" + n);
            out.add(shard);
        }
        out.add(List.of("merge", "--analysis", name));
        return out;
    }

    /** A command line as a list of words: a string split at white space, or a list of words. */
    static List<String> commandLine(Object o) {
        List<String> words = new ArrayList<>();
        if (o instanceof List<?> l) l.forEach(x -> words.add(String.valueOf(x)));
        else if (o instanceof String s) words.addAll(List.of(s.trim().split("\\s+")));
        else throw new IllegalArgumentException("analysis " + o + " is not a command line");
        if (words.isEmpty() || words.get(0).isBlank()) throw new IllegalArgumentException("empty analysis command line");
        for (String w : words) {
            if (w.equals("--run") || w.startsWith("--run=")) {
                throw new IllegalArgumentException("analysis '" + String.join(" ", words) + "' gives --run; the sweep sets it");
            }
        }
        return words;
    }

    /** Number of runs: the product of the axis sizes. */
    public long runCount() {
        long n = 1;
        for (Axis a : axes) n *= a.size();
        return n;
    }
}
