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
 * Runs a sweep on a Slurm cluster: writes a batch script per job array under {@code slurm/}, whose array task
 * {@code $SLURM_ARRAY_TASK_ID} runs {@code engram sweep run-task SWEEP_DIR --index $SLURM_ARRAY_TASK_ID --stage S}
 * (one {@link Piece} of that run), submits it with {@code sbatch} and records the job in {@code slurm/jobs.json}. A
 * sweep without shard steps is one job array of run tasks. A fanned-out sweep adds, per shard step J, a job array of
 * the runs' shard J that depends on the run array with {@code --dependency=aftercorr} (task r starts once run task r
 * succeeded), and a merge array depending the same way on every shard array; {@code --kill-on-invalid-dep=yes}
 * cancels the tasks whose prerequisite failed. Engram schedules nothing itself; Slurm does. The sweep folder must be
 * on a file system the nodes share.
 */
public final class SlurmExecutor {
    /** The record of submitted jobs under the sweep folder. */
    public static final String JOBS = "slurm/jobs.json";

    /** Slurm states of a task that is queued or running (so its piece is not to be submitted again). */
    static final List<String> ACTIVE = List.of("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED",
            "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SUSPENDED");

    private SlurmExecutor() { }

    /**
     * A submitted job array.
     *
     * @param jobId      Slurm's job id
     * @param indices    the array indices (sweep run indices)
     * @param script     the batch script
     * @param stage      the stage its tasks run ({@link Piece}); absent in records of older sweeps: {@link Piece#RUN}
     * @param dependency its {@code --dependency}, "" when none
     */
    public record Job(String jobId, List<Integer> indices, String script, String stage, String dependency) {
        /** The stage, {@link Piece#RUN} when the record has none. */
        @Override
        public String stage() {
            return stage == null ? Piece.RUN : stage;
        }

        /** The dependency, "" when the record has none. */
        @Override
        public String dependency() {
            return dependency == null ? "" : dependency;
        }
    }

    /**
     * What Slurm says of one array task.
     *
     * @param jobId  the job array holding it
     * @param state  its state, e.g. {@code PENDING}, {@code RUNNING}, {@code COMPLETED}, {@code CANCELLED}
     * @param reason squeue's reason, e.g. {@code DependencyNeverSatisfied}; "" when unknown
     */
    public record SlurmTask(String jobId, String state, String reason) {
        /** Queued or running. */
        public boolean active() {
            return ACTIVE.contains(state) || state.startsWith("REQUEUE");
        }

        /** Cancelled without running because a task it depended on failed. */
        public boolean dependencyFailed() {
            return state.equals("CANCELLED") && reason.equals("DependencyNeverSatisfied");
        }
    }

    /**
     * One job array to submit.
     *
     * @param stage        the stage of its tasks
     * @param indices      its run indices
     * @param afterBatches earlier batches of the same submission it depends on (positions in the plan)
     * @param afterJobs    jobs already in Slurm it depends on
     */
    public record Batch(String stage, List<Integer> indices, List<Integer> afterBatches, List<String> afterJobs) { }

    /**
     * The job arrays that run {@code pieces}: run tasks first, then each shard stage, then the merges; a piece's array
     * depends ({@code aftercorr}) on the arrays holding the pieces of its run it must wait for, whether submitted
     * with it or still queued or running in Slurm ({@code slurm}). Pieces with the same prerequisites share an
     * array, so a fresh sweep of R runs with n shards each is 1 + n + 1 arrays of R tasks.
     */
    public static List<Batch> plan(Sweep sweep, List<Piece> pieces, Map<Piece, SlurmTask> slurm) {
        java.util.TreeSet<Piece> todo = new java.util.TreeSet<>(pieces);
        for (Piece p : todo) {
            if (p.stage().equals(Piece.ALL)) throw new IllegalArgumentException("stage 'all' is not submitted as a piece");
        }
        List<String> stages = new ArrayList<>();
        todo.stream().sorted(java.util.Comparator.comparingInt(p -> order(p.stage()))).map(Piece::stage).distinct()
                .forEach(stages::add);
        List<Batch> out = new ArrayList<>();
        Map<Piece, Integer> batchOf = new LinkedHashMap<>();
        for (String stage : stages) {
            Map<List<Object>, List<Integer>> groups = new LinkedHashMap<>(); // (batches, jobs) -> indices
            for (Piece p : todo) {
                if (!p.stage().equals(stage)) continue;
                java.util.TreeSet<Integer> batches = new java.util.TreeSet<>();
                java.util.TreeSet<String> jobs = new java.util.TreeSet<>();
                for (Piece q : Piece.of(sweep.run(p.index()))) {
                    if (!p.after(q)) continue;
                    if (batchOf.containsKey(q)) batches.add(batchOf.get(q));
                    else if (slurm.containsKey(q) && slurm.get(q).active()) jobs.add(slurm.get(q).jobId());
                }
                groups.computeIfAbsent(List.of(List.copyOf(batches), List.copyOf(jobs)), k -> new ArrayList<>()).add(p.index());
            }
            for (var g : groups.entrySet()) {
                @SuppressWarnings("unchecked")
                List<Integer> batches = (List<Integer>) g.getKey().get(0);
                @SuppressWarnings("unchecked")
                List<String> jobs = (List<String>) g.getKey().get(1);
                for (int i : g.getValue()) batchOf.put(new Piece(i, stage), out.size());
                out.add(new Batch(stage, List.copyOf(g.getValue()), batches, jobs));
            }
        }
        return out;
    }

    private static int order(String stage) {
        return stage.equals(Piece.RUN) ? 0 : stage.equals(Piece.MERGE) ? Integer.MAX_VALUE : Piece.shardNumber(stage);
    }

    /** The batch script for the run tasks {@code indices} of {@code sweep}. */
    public static String script(Sweep sweep, List<Integer> indices, SlurmOptions o, Launcher launcher) {
        return script(sweep, Piece.RUN, indices, "", o, launcher);
    }

    /**
     * The batch script whose array tasks {@code indices} run the pieces {@code stage} of those runs.
     *
     * @param dependency Slurm's {@code --dependency} value, "" for none
     */
    public static String script(Sweep sweep, String stage, List<Integer> indices, String dependency, SlurmOptions o,
                                Launcher launcher) {
        StringBuilder s = new StringBuilder("#!/bin/bash\n");
        String logs = sweep.dir().resolve("logs").toString();
        s.append("#SBATCH --job-name=").append(jobName(sweep.name()))
                .append(stage.equals(Piece.RUN) ? "" : "-" + stage).append('\n');
        s.append("#SBATCH --array=").append(arraySpec(indices)).append(o.maxParallel() > 0 ? "%" + o.maxParallel() : "").append('\n');
        s.append("#SBATCH --output=").append(logs).append("/slurm-%A_%a.out\n");
        if (!dependency.isEmpty()) {
            s.append("#SBATCH --dependency=").append(dependency).append('\n');
            s.append("#SBATCH --kill-on-invalid-dep=yes\n");
        }
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
                "$SLURM_ARRAY_TASK_ID", "--stage", stage));
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
     * Submits {@code pieces} as the job arrays of {@link #plan}, each with its batch script
     * {@code slurm/sweep-N[.STAGE].sbatch}, through {@code sbatch --parsable}; records every job in
     * {@code slurm/jobs.json} as soon as it is submitted.
     *
     * @param slurm what Slurm says of the sweep's tasks now ({@link #states})
     * @return the jobs, in submission order
     * @throws IOException naming sbatch, the script and its output when sbatch is missing or refuses a job (the jobs
     *                     submitted before it stay recorded)
     */
    public static List<Job> submit(Sweep sweep, List<Piece> pieces, Map<Piece, SlurmTask> slurm, SlurmOptions o,
                                   Launcher launcher) throws IOException {
        List<Job> submitted = new ArrayList<>();
        for (Batch b : plan(sweep, pieces, slurm)) {
            List<String> after = new ArrayList<>();
            for (int k : b.afterBatches()) after.add(submitted.get(k).jobId());
            after.addAll(b.afterJobs());
            String dependency = after.isEmpty() ? "" : "aftercorr:" + String.join(":", after);
            List<Job> jobs = jobs(sweep);
            String file = "sweep-" + (jobs.size() + 1) + (b.stage().equals(Piece.RUN) ? "" : "." + b.stage()) + ".sbatch";
            Path script = sweep.dir().resolve("slurm").resolve(file);
            Files.createDirectories(script.getParent());
            Files.createDirectories(sweep.dir().resolve("logs"));
            dev.engram.nn.io.AtomicFiles.writeString(script, script(sweep, b.stage(), b.indices(), dependency, o, launcher));
            Exec.Result r = Exec.run(List.of("sbatch", "--parsable", script.toString()), 120);
            if (r.code() != 0) {
                throw new IOException("sbatch refused " + script + " (exit code " + r.code() + "): " + r.output().strip()
                        + (submitted.isEmpty() ? "" : "; jobs submitted before it: "
                        + submitted.stream().map(Job::jobId).toList()));
            }
            String id = r.output().strip();
            id = id.lines().reduce((x, y) -> y).orElse("").split(";")[0].strip(); // "JOBID" or "JOBID;CLUSTER"
            if (!id.matches("\\d+")) throw new IOException("sbatch printed no job id: " + r.output().strip());
            Job job = new Job(id, List.copyOf(new java.util.TreeSet<>(b.indices())), script.toString(), b.stage(), dependency);
            List<Job> all = new ArrayList<>(jobs);
            all.add(job);
            Results.writeJson(sweep.dir().resolve(JOBS), all);
            submitted.add(job);
        }
        return submitted;
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
     * Slurm's view of each array task of {@code jobs}, by piece, the latest job of a piece winning: from
     * {@code squeue} (queued, running and recently ended tasks, with the reason) and {@code sacct} (when accounting is
     * available) for older ones. Empty when neither command exists.
     */
    public static Map<Piece, SlurmTask> states(List<Job> jobs) {
        Map<Piece, SlurmTask> out = new LinkedHashMap<>();
        if (jobs.isEmpty()) return out;
        for (Job j : jobs) {
            Map<Integer, String[]> acct = query(List.of("sacct", "-n", "-P", "-X", "-j", j.jobId(), "-o", "JobID,State"), j, "\\|");
            Map<Integer, String[]> queue = query(List.of("squeue", "-h", "-r", "-t", "all", "-j", j.jobId(), "-o", "%i %T %r"), j, " ");
            for (int i : j.indices()) {
                String[] s = queue.getOrDefault(i, acct.get(i));
                Piece p = new Piece(i, j.stage());
                if (s != null) out.put(p, new SlurmTask(j.jobId(), s[0], s.length > 1 ? s[1] : ""));
                else out.remove(p); // a newer job of the piece that Slurm no longer knows says nothing
            }
        }
        return out;
    }

    private static Map<Integer, String[]> query(List<String> cmd, Job job, String sep) {
        Map<Integer, String[]> out = new LinkedHashMap<>();
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
            String[] state = {f[1].strip().split(" ")[0], f.length > 2 ? f[2].strip() : ""};
            if (idx.matches("\\d+")) out.put(Integer.parseInt(idx), state);
            else if (idx.startsWith("[")) { // a pending range not expanded
                for (int i : job.indices()) out.putIfAbsent(i, state);
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
