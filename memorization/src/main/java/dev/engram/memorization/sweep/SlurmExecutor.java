package dev.engram.memorization.sweep;

import com.google.gson.JsonElement;
import dev.engram.memorization.io.Results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a sweep on a Slurm cluster: writes {@code slurm/sweep-<n>.sbatch}, a batch script whose array task
 * {@code $SLURM_ARRAY_TASK_ID} runs {@code engram sweep run-task SWEEP_DIR --index $SLURM_ARRAY_TASK_ID} (one run
 * and its analyses), submits it with {@code sbatch} as one job array over the chosen indices and records the job in
 * {@code slurm/jobs.json}. Engram schedules nothing itself; Slurm does. The sweep folder must be on a file system the
 * nodes share.
 */
public final class SlurmExecutor {
    /** The record of submitted jobs under the sweep folder. */
    public static final String JOBS = "slurm/jobs.json";

    private SlurmExecutor() { }

    /**
     * A submitted job array.
     *
     * @param jobId   Slurm's job id
     * @param indices the array indices (sweep run indices)
     * @param script  the batch script
     */
    public record Job(String jobId, List<Integer> indices, String script) { }

    /** The batch script for {@code indices} of {@code sweep}. */
    public static String script(Sweep sweep, List<Integer> indices, SlurmOptions o, Launcher launcher) {
        StringBuilder s = new StringBuilder("#!/bin/bash\n");
        String logs = sweep.dir().resolve("logs").toString();
        s.append("#SBATCH --job-name=").append(jobName(sweep.name())).append('\n');
        s.append("#SBATCH --array=").append(arraySpec(indices)).append(o.maxParallel() > 0 ? "%" + o.maxParallel() : "").append('\n');
        s.append("#SBATCH --output=").append(logs).append("/slurm-%A_%a.out\n");
        if (!o.partition().isEmpty()) s.append("#SBATCH --partition=").append(o.partition()).append('\n');
        if (!o.time().isEmpty()) s.append("#SBATCH --time=").append(o.time()).append('\n');
        if (!o.mem().isEmpty()) s.append("#SBATCH --mem=").append(o.mem()).append('\n');
        if (o.cpus() > 0) s.append("#SBATCH --cpus-per-task=").append(o.cpus()).append('\n');
        if (o.gpus() > 0) s.append("#SBATCH --gpus=").append(o.gpus()).append('\n');
        for (String line : o.extra()) {
            String l = line.strip();
            s.append(l.startsWith("#SBATCH") ? l : "#SBATCH " + l).append('\n');
        }
        s.append("set -euo pipefail\n");
        for (String line : o.preamble()) s.append(line).append('\n');
        List<String> args = new ArrayList<>(List.of("sweep", "run-task", sweep.dir().toString(), "--index",
                "$SLURM_ARRAY_TASK_ID"));
        if (o.cpus() > 0) {
            args.add("--threads");
            args.add(Integer.toString(o.cpus()));
        }
        s.append("exec ").append(launcher.shellLine(args)).append('\n');
        return s.toString();
    }

    private static String jobName(String sweepName) {
        return "engram-" + sweepName;
    }

    /** Slurm's {@code --array} syntax for {@code indices}: ranges of consecutive indices, e.g. {@code 0-3,5,7-9}. */
    static String arraySpec(List<Integer> indices) {
        List<Integer> sorted = new ArrayList<>(new java.util.TreeSet<>(indices));
        if (sorted.isEmpty()) throw new IllegalArgumentException("no array indices to submit");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sorted.size(); ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) j++;
            if (sb.length() > 0) sb.append(',');
            sb.append(sorted.get(i));
            if (j > i) sb.append('-').append(sorted.get(j));
            i = j + 1;
        }
        return sb.toString();
    }

    /**
     * Writes the batch script and submits it with {@code sbatch --parsable}; records and returns the job.
     *
     * @throws IOException naming sbatch and its output when it is missing or refuses the job
     */
    public static Job submit(Sweep sweep, List<Integer> indices, SlurmOptions o, Launcher launcher) throws IOException {
        List<Job> jobs = jobs(sweep);
        Path script = sweep.dir().resolve("slurm").resolve("sweep-" + (jobs.size() + 1) + ".sbatch");
        Files.createDirectories(script.getParent());
        Files.createDirectories(sweep.dir().resolve("logs"));
        dev.engram.nn.io.AtomicFiles.writeString(script, script(sweep, indices, o, launcher));
        Exec.Result r = Exec.run(List.of("sbatch", "--parsable", script.toString()), 120);
        if (r.code() != 0) {
            throw new IOException("sbatch refused " + script + " (exit code " + r.code() + "): " + r.output().strip());
        }
        String id = r.output().strip();
        id = id.lines().reduce((a, b) -> b).orElse("").split(";")[0].strip(); // "JOBID" or "JOBID;CLUSTER"
        if (!id.matches("\\d+")) throw new IOException("sbatch printed no job id: " + r.output().strip());
        Job job = new Job(id, List.copyOf(new java.util.TreeSet<>(indices)), script.toString());
        List<Job> all = new ArrayList<>(jobs);
        all.add(job);
        Results.writeJson(sweep.dir().resolve(JOBS), all);
        return job;
    }

    /** The jobs submitted for {@code sweep}, oldest first. */
    public static List<Job> jobs(Sweep sweep) throws IOException {
        Path f = sweep.dir().resolve(JOBS);
        if (!Files.isRegularFile(f)) return List.of();
        List<Job> out = new ArrayList<>();
        for (JsonElement e : com.google.gson.JsonParser.parseString(Files.readString(f)).getAsJsonArray()) {
            out.add(Results.GSON.fromJson(e, Job.class));
        }
        return out;
    }

    /**
     * Slurm's state of each array task of {@code jobs}, by sweep index, the latest job of an index winning: from
     * {@code squeue} for queued and running tasks, from {@code sacct} (when accounting is available) for finished
     * ones. Empty when neither command exists.
     */
    public static Map<Integer, String> states(List<Job> jobs) {
        Map<Integer, String> out = new LinkedHashMap<>();
        if (jobs.isEmpty()) return out;
        for (Job j : jobs) {
            Map<Integer, String> acct = query(List.of("sacct", "-n", "-P", "-X", "-j", j.jobId(), "-o", "JobID,State"), j, "\\|");
            Map<Integer, String> queue = query(List.of("squeue", "-h", "-r", "-j", j.jobId(), "-o", "%i %T"), j, " ");
            for (int i : j.indices()) {
                String s = queue.getOrDefault(i, acct.get(i));
                if (s != null) out.put(i, s);
                else out.remove(i); // a newer job of the index that Slurm no longer knows says nothing
            }
        }
        return out;
    }

    private static Map<Integer, String> query(List<String> cmd, Job job, String sep) {
        Map<Integer, String> out = new LinkedHashMap<>();
        Exec.Result r;
        try {
            r = Exec.run(cmd, 30);
        } catch (IOException e) {
            return out; // no such command
        }
        if (r.code() != 0) return out;
        for (String line : r.output().split("\n")) {
            String[] f = line.strip().split(sep);
            if (f.length < 2) continue;
            String id = f[0].strip();
            if (!id.startsWith(job.jobId() + "_")) continue;
            String idx = id.substring(job.jobId().length() + 1);
            if (idx.matches("\\d+")) out.put(Integer.parseInt(idx), f[1].strip().split(" ")[0]);
            else if (idx.startsWith("[")) { // a pending range not expanded
                for (int i : job.indices()) out.putIfAbsent(i, f[1].strip());
            }
        }
        return out;
    }

    /** Whether {@code squeue} runs and answers here. */
    public static boolean answers() {
        try {
            return Exec.run(List.of("squeue", "-h", "-o", "%i"), 30).code() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs external commands with a time limit. */
    static final class Exec {
        private Exec() { }

        /** Exit code and standard output plus error. */
        record Result(int code, String output) { }

        static Result run(List<String> cmd, int timeoutSeconds) throws IOException {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try {
                byte[] bytes = p.getInputStream().readAllBytes();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(cmd.get(0) + " did not finish within " + timeoutSeconds + " s");
                }
                return new Result(p.exitValue(), new String(bytes, StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted while running " + cmd.get(0), e);
            }
        }
    }
}
