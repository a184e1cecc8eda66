package dev.engram.memorization.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a Slurm batch script of a sweep asks for, from the {@code slurm:} section of the sweep file, each overridable on
 * the command line; empty or 0 leaves the cluster's default.
 *
 * @param partition {@code --partition}
 * @param time      {@code --time} limit per array task, e.g. {@code 01:30:00}
 * @param mem       {@code --mem} per task, e.g. {@code 8G}
 * @param cpus      {@code --cpus-per-task}; also the CPU threads of the task's training and analyses
 * @param gpus      {@code --gpus} per task
 * @param extra     further {@code #SBATCH} lines (with or without the {@code #SBATCH} prefix), e.g. {@code --account=lab}
 * @param preamble  shell lines run before the task, e.g. {@code module load java/17}
 * @param launcher  the command that runs Engram on a node (e.g. {@code /shared/engram/engram}); empty = this JVM's
 *                  java command and class path
 * @param maxParallel at most this many array tasks at once ({@code --array=...%N}); 0 = no limit
 */
public record SlurmOptions(String partition, String time, String mem, int cpus, int gpus, List<String> extra,
                           List<String> preamble, String launcher, int maxParallel) {
    /** Nothing requested. */
    public static final SlurmOptions NONE = new SlurmOptions("", "", "", 0, 0, List.of(), List.of(), "", 0);

    /** Validates and copies; a bad field throws {@link InvalidOption} naming it as the sweep file's {@code slurm:} key. */
    public SlurmOptions {
        partition = partition == null ? "" : partition.trim();
        time = time == null ? "" : time.trim();
        mem = mem == null ? "" : mem.trim();
        launcher = launcher == null ? "" : launcher.trim();
        extra = List.copyOf(extra == null ? List.of() : extra);
        preamble = List.copyOf(preamble == null ? List.of() : preamble);
        checkAtLeastZero("cpus", cpus, " (0 = the cluster's default)");
        checkAtLeastZero("gpus", gpus, "");
        checkAtLeastZero("maxParallel", maxParallel, " (0 = no limit)");
        if (!validTime(time)) {
            throw new InvalidOption("time", "'" + time + "' is not a Slurm time limit (MINUTES, HH:MM:SS or D-HH:MM:SS)");
        }
        if (partition.matches(".*\\s.*")) throw new InvalidOption("partition", "'" + partition + "' contains white space");
        if (mem.matches(".*\\s.*")) throw new InvalidOption("mem", "'" + mem + "' contains white space");
    }

    private static void checkAtLeastZero(String key, int value, String meaningOfZero) {
        if (value < 0) throw new InvalidOption(key, "must be >= 0" + meaningOfZero + ", got " + value);
    }

    /**
     * One field of the Slurm options is out of range. The message names it as the sweep file does ({@code slurm cpus
     * must be >= 0 ...}); {@link #key()} and {@link #problem()} let a command line name it by its own option instead.
     */
    public static final class InvalidOption extends IllegalArgumentException {
        private final String key, problem;

        InvalidOption(String key, String problem) {
            super("slurm " + key + " " + problem);
            this.key = key;
            this.problem = problem;
        }

        /** The field's key in the {@code slurm:} section: partition, time, mem, cpus, gpus or maxParallel. */
        public String key() {
            return key;
        }

        /** What is wrong with its value, e.g. {@code must be >= 0, got -1}. */
        public String problem() {
            return problem;
        }
    }

    /** Whether {@code time} is empty or a Slurm time limit: MINUTES, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]. */
    public static boolean validTime(String time) {
        return time == null || time.isBlank() || time.trim().matches("(\\d+-)?\\d+(:\\d{1,2}){0,2}");
    }

    /** The {@code slurm:} section of a sweep file. */
    static SlurmOptions parse(Object section) {
        if (section == null) return NONE;
        if (!(section instanceof Map<?, ?> m)) throw new IllegalArgumentException("sweep file: 'slurm' must be a mapping, got " + section);
        List<String> known = List.of("partition", "time", "mem", "cpus", "gpus", "extra", "preamble", "launcher", "maxParallel");
        for (Object k : m.keySet()) {
            if (!known.contains(k)) throw new IllegalArgumentException("sweep file: unknown slurm key '" + k + "'; known: " + known);
        }
        return new SlurmOptions(str(m.get("partition")), str(m.get("time")), str(m.get("mem")), integer(m, "cpus"),
                integer(m, "gpus"), lines(m, "extra"), lines(m, "preamble"), str(m.get("launcher")), integer(m, "maxParallel"));
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static int integer(Map<?, ?> m, String key) {
        Object o = m.get(key);
        if (o == null) return 0;
        if (o instanceof Long l && l >= 0 && l <= Integer.MAX_VALUE) return (int) (long) l;
        throw new IllegalArgumentException("sweep file: slurm " + key + " must be an integer >= 0, got " + o);
    }

    private static List<String> lines(Map<?, ?> m, String key) {
        Object o = m.get(key);
        if (o == null) return List.of();
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) l.forEach(x -> out.add(String.valueOf(x)));
        else out.addAll(List.of(o.toString().split("\n")));
        return out;
    }

    /** This with every non-empty (non-zero) field of {@code o} taking precedence; lists are appended. */
    public SlurmOptions overriddenBy(SlurmOptions o) {
        List<String> ex = new ArrayList<>(extra), pre = new ArrayList<>(preamble);
        ex.addAll(o.extra);
        pre.addAll(o.preamble);
        return new SlurmOptions(o.partition.isEmpty() ? partition : o.partition, o.time.isEmpty() ? time : o.time,
                o.mem.isEmpty() ? mem : o.mem, o.cpus == 0 ? cpus : o.cpus, o.gpus == 0 ? gpus : o.gpus, ex, pre,
                o.launcher.isEmpty() ? launcher : o.launcher, o.maxParallel == 0 ? maxParallel : o.maxParallel);
    }
}
