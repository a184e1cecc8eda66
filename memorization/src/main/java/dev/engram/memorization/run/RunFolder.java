package dev.engram.memorization.run;

import com.google.gson.JsonObject;
import dev.engram.datasets.NoisyLabels;
import dev.engram.nn.io.AtomicFiles;
import dev.engram.memorization.io.Results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One experiment = one folder:
 * <pre>
 * RUN/
 *   config.json                       {@link ExperimentConfig}
 *   provenance.json                   {@link Provenance}
 *   noise.csv                         {@link NoisyLabels} (original/noisy label and mask per example)
 *   normalization.json                per-channel mean/std of the training examples (own datasets only)
 *   checkpoints/epoch-000.safetensors initial weights, then one file per epoch (written by the trainer)
 *   analyses/&lt;name&gt;/results.json     one folder per analysis, plus its CSV tables and PNG charts
 *   report.html                       written by {@code engram report}
 * </pre>
 * A writer holds the folder's {@link RunLock} ({@code .lock}) while it writes. {@link #create} writes the first three files; {@link #open} checks that they exist and names the command that
 * creates any missing one. A run with noise fraction 0 is legal (a clean baseline); {@link #requireNoisy} lets an
 * analysis that needs noisy examples refuse it with a clear message.
 */
public final class RunFolder {
    /** File name of the configuration. */
    public static final String CONFIG = "config.json";
    /** File name of the provenance record. */
    public static final String PROVENANCE = "provenance.json";
    /** Where each example of an own dataset came from ({@code RunData.writeExampleSources}). */
    public static final String EXAMPLES = "examples.csv";
    /** File name of the input normalization of a run on an own dataset (see {@code RunData#normalization()}). */
    public static final String NORMALIZATION = "normalization.json";
    /** File name of the noise mask. */
    public static final String NOISE = "noise.csv";
    /** Sub-folder of the checkpoints. */
    public static final String CHECKPOINTS = "checkpoints";
    /** Sub-folder of the analyses. */
    public static final String ANALYSES = "analyses";
    /** File name of an analysis' summary. */
    public static final String RESULTS = "results.json";
    /** File name of the HTML report. */
    public static final String REPORT = "report.html";
    /** File naming the weight files a run was imported from ({@code engram import}); only imported runs have it. */
    public static final String IMPORTED = "imported.txt";

    private static final Pattern CHECKPOINT = Pattern.compile("epoch-(\\d{3,})\\.safetensors");
    private static final Pattern ANALYSIS_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final String CREATE_HINT = "create the run with `engram train --run %s`";

    /** A checkpoint file of the run. */
    public record Checkpoint(int epoch, Path file) { }

    private final Path dir;
    private final ExperimentConfig config;
    private NoisyLabels noise;

    private RunFolder(Path dir, ExperimentConfig config, NoisyLabels noise) {
        this.dir = dir;
        this.config = config;
        this.noise = noise;
    }

    /**
     * Creates a new run folder and writes {@code noise.csv}, {@code provenance.json} and, last, {@code config.json}:
     * a folder without {@code config.json} is an unfinished creation. The folder must not exist, be empty, or hold
     * only what an interrupted creation leaves (files of this method, empty sub-folders, temporaries, the lock), so
     * that a run is never overwritten and a creation killed half-way can be repeated.
     *
     * @param noise the labels actually trained on; its size is the number of training examples
     */
    public static RunFolder create(Path dir, ExperimentConfig config, NoisyLabels noise, Provenance provenance)
            throws IOException {
        return create(dir, config, noise, provenance, null);
    }

    /**
     * As {@link #create(Path, ExperimentConfig, NoisyLabels, Provenance)}, also writing {@code normalization} (unless
     * null) as {@value #NORMALIZATION} before {@code config.json}, so that a run whose creation completed always has it
     * (for a normalization that cannot be recomputed from the data, e.g. an import's).
     */
    public static RunFolder create(Path dir, ExperimentConfig config, NoisyLabels noise, Provenance provenance,
                                   dev.engram.datasets.Normalization normalization) throws IOException {
        for (Path p : requireCreatable(dir)) deleteTree(p);
        if (Math.abs(noise.fraction() - config.noiseFraction()) > 1e-12) {
            throw new IllegalArgumentException("noise labels were made with fraction " + noise.fraction()
                    + " but the config says " + config.noiseFraction());
        }
        Files.createDirectories(dir.resolve(CHECKPOINTS));
        Files.createDirectories(dir.resolve(ANALYSES));
        noise.save(dir.resolve(NOISE));
        com.google.gson.JsonObject p = Results.GSON.toJsonTree(provenance).getAsJsonObject();
        p.add(CREATED_CONFIG, com.google.gson.JsonParser.parseString(config.toJson())); // to notice a later edit
        Results.writeJson(dir.resolve(PROVENANCE), p);
        if (normalization != null) writeNormalization(dir, normalization);
        AtomicFiles.writeString(dir.resolve(CONFIG), config.toJson()); // last: its presence marks a complete creation
        return new RunFolder(dir, config, noise);
    }

    /**
     * Checks that a run can be created in {@code dir}: it does not exist, or it is a folder holding nothing but the
     * leftovers of a creation that was interrupted (empty {@code checkpoints/} and {@code analyses/}, the noise,
     * provenance and normalization files, temporary files of atomic writes) and the run lock. Deletes nothing.
     *
     * @return those leftovers, which {@link #create} removes
     * @throws RunFolderException when {@code dir} is a file or holds anything else
     */
    public static List<Path> requireCreatable(Path dir) throws IOException {
        List<Path> leftovers = new ArrayList<>();
        if (!Files.exists(dir)) return leftovers;
        if (!Files.isDirectory(dir)) throw new RunFolderException(dir, dir + " exists and is not a folder");
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().equals(RunLock.FILE))) {
            for (Path p : s) {
                if (!interruptedCreation(p)) {
                    throw new RunFolderException(dir, "run folder " + dir + " is not empty (it holds " + p.getFileName()
                            + "); choose a new folder (runs are never overwritten)");
                }
                leftovers.add(p);
            }
        }
        return leftovers;
    }

    /** Writes {@code n} as the run's {@value #NORMALIZATION} ({@code {"mean": [...], "std": [...]}}), atomically. */
    public static void writeNormalization(Path runDir, dev.engram.datasets.Normalization n) throws IOException {
        JsonObject o = new JsonObject();
        o.add("mean", Results.GSON.toJsonTree(n.mean()));
        o.add("std", Results.GSON.toJsonTree(n.std()));
        AtomicFiles.writeString(runDir.resolve(NORMALIZATION), Results.GSON.toJson(o));
    }

    /** Whether {@code p} (in a folder without config.json) is something {@link #create} writes before config.json. */
    private static boolean interruptedCreation(Path p) throws IOException {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p)) {
            if (!n.equals(CHECKPOINTS) && !n.equals(ANALYSES)) return false;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
                return !s.iterator().hasNext();
            }
        }
        return n.equals(NOISE) || n.equals(PROVENANCE) || n.equals(NORMALIZATION) || WRITE_TEMP.matcher(n).matches();
    }

    /**
     * Opens an existing run, reading and validating {@code config.json}. The noise file is read on first use
     * ({@link #noise()}), checkpoints on demand.
     *
     * @throws RunFolderException when the folder or its configuration is missing or invalid
     */
    public static RunFolder open(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new RunFolderException(dir, "run folder " + dir + " is a file, not a folder");
        }
        if (!Files.isDirectory(dir)) {
            throw new RunFolderException(dir, "run folder " + dir + " does not exist; "
                    + String.format(Locale.ROOT, CREATE_HINT, dir));
        }
        Path cfg = dir.resolve(CONFIG);
        String json;
        try {
            json = Files.readString(cfg, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new RunFolderException(cfg, "missing " + cfg + " (the experiment configuration); "
                    + String.format(Locale.ROOT, CREATE_HINT, dir));
        } catch (IOException e) {
            throw new RunFolderException(cfg, "cannot read " + cfg + ": " + e.getMessage(), e);
        }
        ExperimentConfig config;
        try {
            config = ExperimentConfig.fromJson(json, cfg.toString());
        } catch (IllegalArgumentException e) {
            throw new RunFolderException(cfg, e.getMessage(), e);
        }
        return new RunFolder(dir, config, null);
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }

    /** The experiment configuration. */
    public ExperimentConfig config() {
        return config;
    }

    /** Path of {@code config.json}. */
    public Path configFile() {
        return dir.resolve(CONFIG);
    }

    /** Path of {@code provenance.json}. */
    public Path provenanceFile() {
        return dir.resolve(PROVENANCE);
    }

    /** Path of {@code noise.csv}. */
    public Path noiseFile() {
        return dir.resolve(NOISE);
    }

    /** Path of {@code report.html}. */
    public Path reportFile() {
        return dir.resolve(REPORT);
    }

    /** Reads {@code provenance.json}, if present. */
    public Optional<Provenance> provenance() {
        Path f = provenanceFile();
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(Results.GSON.fromJson(Files.readString(f, StandardCharsets.UTF_8), Provenance.class));
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(f, "cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** Rewrites {@code provenance.json} with the end time set to now (keeping the configuration it recorded). */
    public void markFinished() throws IOException {
        Provenance p = provenance().orElseThrow(() -> new RunFolderException(provenanceFile(),
                "missing " + provenanceFile() + "; " + String.format(Locale.ROOT, CREATE_HINT, dir)));
        com.google.gson.JsonObject o = Results.GSON.toJsonTree(p.finishedNow()).getAsJsonObject();
        createdConfig().ifPresent(c -> o.add(CREATED_CONFIG, c));
        Results.writeJson(provenanceFile(), o);
    }

    /** The member of {@code provenance.json} holding the configuration as the run was created. */
    private static final String CREATED_CONFIG = "configAtCreation";

    /** Settings a resumed run may change: where and on how many threads it computes. */
    private static final java.util.Set<String> RUNTIME_SETTINGS = java.util.Set.of("device", "threads");

    /** The configuration recorded in {@code provenance.json} when the run was created (absent in older runs). */
    private Optional<com.google.gson.JsonObject> createdConfig() {
        Path f = provenanceFile();
        if (!Files.exists(f)) return Optional.empty();
        try {
            com.google.gson.JsonElement c = com.google.gson.JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8))
                    .getAsJsonObject().get(CREATED_CONFIG);
            return c != null && c.isJsonObject() ? Optional.of(c.getAsJsonObject()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(f, "cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses to continue training when {@code config.json} was edited after the run was created: a resumed run must
     * train the epochs it started with the settings it started with (another epoch count or learning rate would
     * silently change the schedule mid-run). Device and threads may change. Runs created before the configuration was
     * recorded are not checked.
     *
     * @throws RunFolderException naming every changed setting with its recorded and its current value
     */
    public void requireConfigAsCreated() {
        Optional<com.google.gson.JsonObject> created = createdConfig();
        if (created.isEmpty()) return;
        com.google.gson.JsonObject now = com.google.gson.JsonParser.parseString(config.toJson()).getAsJsonObject();
        List<String> changed = new ArrayList<>();
        for (var e : created.get().entrySet()) {
            if (RUNTIME_SETTINGS.contains(e.getKey())) continue;
            com.google.gson.JsonElement v = now.get(e.getKey());
            if (!e.getValue().equals(v)) changed.add(e.getKey() + " " + e.getValue() + " → " + v);
        }
        if (!changed.isEmpty()) {
            throw new RunFolderException(configFile(), configFile() + " was edited after the run started (" + String.join(", ", changed)
                    + "); a run resumes with the settings it started with: restore them, or train a new run with the new ones");
        }
    }

    /**
     * The labels the run trained on and the clean/noisy mask (read once from {@code noise.csv}).
     *
     * @throws RunFolderException when the file is missing or malformed
     */
    public synchronized NoisyLabels noise() {
        if (noise == null) {
            Path f = noiseFile();
            if (!Files.exists(f)) {
                throw new RunFolderException(f, "missing " + f + " (labels and noise mask of the run); "
                        + String.format(Locale.ROOT, CREATE_HINT, dir));
            }
            NoisyLabels n;
            try {
                n = NoisyLabels.load(f);
            } catch (IOException | RuntimeException e) {
                throw new RunFolderException(f, "cannot read " + f + ": " + e.getMessage(), e);
            }
            requireAgreement(n, f);
            noise = n;
        }
        return noise;
    }

    /** {@code noise.csv} and {@code config.json} are written together; if they disagree, one was edited since. */
    private void requireAgreement(NoisyLabels n, Path f) {
        if (Math.abs(n.fraction() - config.noiseFraction()) > 1e-12) {
            throw new RunFolderException(f, f + " does not match the run's configuration: its noise fraction is "
                    + n.fraction() + " but " + dir.resolve(CONFIG) + " says noiseFraction " + config.noiseFraction()
                    + "; the two are written together, so one was edited since (restore it)");
        }
    }

    /** Whether the run was imported from weights trained elsewhere ({@link #IMPORTED}), not trained here. */
    public boolean isImported() {
        return Files.exists(dir.resolve(IMPORTED));
    }

    /** Whether the run has noisy examples (noise fraction above 0 and at least one corrupted label). */
    public boolean hasNoise() {
        return config.hasNoise() && noise().noisyCount() > 0;
    }

    /**
     * Refuses a run without noisy examples.
     *
     * @param analysis name of the analysis, for the message
     * @throws RunFolderException when the run has no noisy examples
     */
    public void requireNoisy(String analysis) {
        if (!hasNoise()) {
            throw new RunFolderException(noiseFile(), analysis + " compares clean and noisy (mislabeled) examples,"
                    + " but run " + dir + " was trained with noise fraction " + config.noiseFraction()
                    + " and has no noisy examples; " + (isImported()
                    ? "import it again giving the labels it trained on (--noise-file or --noisy-indices, docs/pytorch.md)"
                    : "train a run with --noise > 0 (the paper uses 0.1)"));
        }
    }

    /**
     * Refuses a run without clean examples (noise fraction 1: every label random), for an analysis that needs both
     * kinds.
     *
     * @param analysis name of the analysis, for the message
     * @param needs    what the analysis does with the clean examples, for the message
     * @throws RunFolderException when every training example of the run is noisy
     */
    public void requireClean(String analysis, String needs) {
        if (noise().noisyCount() == noise().size()) {
            throw new RunFolderException(noiseFile(), analysis + " " + needs + ", but run " + dir + " was trained with"
                    + " noise fraction " + config.noiseFraction() + " and every one of its " + noise().size()
                    + " training examples is noisy (random labels); train a run with --noise < 1 (the paper uses 0.1)");
        }
    }

    /** The checkpoint folder. */
    public Path checkpointsDir() {
        return dir.resolve(CHECKPOINTS);
    }

    /** Path of the checkpoint after {@code epoch} (0 = initialisation), whether or not it exists. */
    public Path checkpointPath(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        return checkpointsDir().resolve(String.format(Locale.ROOT, "epoch-%03d.safetensors", epoch));
    }

    /** Existing checkpoints in epoch order (empty when none or no checkpoint folder). */
    public List<Checkpoint> checkpoints() throws IOException {
        List<Checkpoint> list = new ArrayList<>();
        Path cdir = checkpointsDir();
        if (!Files.isDirectory(cdir)) return list;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(cdir)) {
            for (Path p : s) {
                Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p)) list.add(new Checkpoint(Integer.parseInt(m.group(1)), p));
            }
        }
        list.sort(Comparator.comparingInt(Checkpoint::epoch));
        return list;
    }

    /**
     * The checkpoint of {@code epoch}.
     *
     * @throws RunFolderException naming the file, the checkpoints that do exist and what to do
     */
    public Path requireCheckpoint(int epoch) throws IOException {
        Path p = checkpointPath(epoch);
        if (Files.isRegularFile(p)) return p;
        List<Integer> have = new ArrayList<>();
        for (Checkpoint c : checkpoints()) have.add(c.epoch());
        String what = (have.isEmpty() ? "no checkpoints" : "checkpoints for epochs " + have);
        String hint;
        if (epoch < 0 || epoch > config.epochs()) {
            hint = "epoch " + epoch + " is outside the run's epochs 0.." + config.epochs() + "; choose one it has";
        } else if (isImported()) {
            hint = "the import brought only those; import the weights of epoch " + epoch + " too (a new run with"
                    + " `engram import`)";
        } else if (have.isEmpty() || have.get(have.size() - 1) < config.epochs()) {
            hint = "its training stopped before epoch " + config.epochs() + "; continue it with `engram train --run " + dir
                    + " --resume`";
        } else {
            hint = "the file was moved or deleted after training; restore it";
        }
        throw new RunFolderException(p, "missing checkpoint " + p + " (epoch " + epoch + "); the run has " + what + "; "
                + hint);
    }

    /**
     * The checkpoint of {@code epoch} ({@link #requireCheckpoint}) after a look at its header, which names every tensor
     * and its extent: a truncated or overwritten file is found here, cheaply (no tensor data is read), before an
     * analysis spends its time on the checkpoints before it.
     *
     * @throws RunFolderException naming the file when it is missing or damaged, and what to do
     */
    public Path requireIntactCheckpoint(int epoch) throws IOException {
        Path p = requireCheckpoint(epoch);
        try {
            dev.engram.nn.io.SafeTensors.readHeader(p);
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(p, "checkpoint " + p + " (epoch " + epoch + ") is damaged: " + e.getMessage()
                    + "; restore it from a copy" + (isImported() ? " or import the run again"
                    : ", or delete it and the later checkpoints and continue with `engram train --run " + dir + " --resume`"), e);
        }
        return p;
    }

    /** The final checkpoint (epoch {@code config.epochs()}); see {@link #requireCheckpoint}. */
    public Path requireFinalCheckpoint() throws IOException {
        return requireCheckpoint(config.epochs());
    }

    /** The folder of analysis {@code name} (created if absent). */
    public Path analysisDir(String name) throws IOException {
        Path d = analysisPath(name);
        Files.createDirectories(d);
        return d;
    }

    /** The folder of analysis {@code name}, not created. */
    public Path analysisPath(String name) {
        if (name == null || !ANALYSIS_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad analysis name '" + name + "' (lower-case letters, digits, . _ -)");
        }
        return dir.resolve(ANALYSES).resolve(name);
    }

    /** Path of {@code analyses/<name>/results.json}, whether or not it exists. */
    public Path resultsFile(String name) {
        return analysisPath(name).resolve(RESULTS);
    }

    /** Whether analysis {@code name} has written its {@code results.json}. */
    public boolean hasResults(String name) {
        return Files.isRegularFile(resultsFile(name));
    }

    /** Writes {@code analyses/<name>/results.json} atomically. */
    public Path writeResults(String name, Object results) throws IOException {
        Path f = analysisDir(name).resolve(RESULTS);
        Results.writeJson(f, results);
        return f;
    }

    /**
     * Reads {@code analyses/<name>/results.json}.
     *
     * @throws RunFolderException when it does not exist (naming the command that creates it)
     */
    public JsonObject readResults(String name) throws IOException {
        Path f = resultsFile(name);
        if (!Files.isRegularFile(f)) {
            throw new RunFolderException(f, "missing " + f + "; run `engram " + name + " --run " + dir + "` first");
        }
        return Results.readObject(f);
    }

    /** Names of the analysis folders that exist, sorted. */
    public List<String> analysisNames() throws IOException {
        List<String> names = new ArrayList<>();
        Path adir = dir.resolve(ANALYSES);
        if (!Files.isDirectory(adir)) return names;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(adir, Files::isDirectory)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (ANALYSIS_NAME.matcher(n).matches()) names.add(n);
            }
        }
        names.sort(null);
        return names;
    }

    /** Files of analysis {@code name} whose names end with {@code extension} (e.g. ".png"), sorted by name. */
    public List<Path> analysisFiles(String name, String extension) throws IOException {
        List<Path> files = new ArrayList<>();
        Path d = analysisPath(name);
        if (!Files.isDirectory(d)) return files;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
            for (Path p : s) {
                if (Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(extension)) {
                    files.add(p);
                }
            }
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return files;
    }

    private static final Pattern WRITE_TEMP = Pattern.compile("\\..+\\.[0-9a-f]+\\.tmp");

    /**
     * Repairs what a killed writer left: temporary files of interrupted atomic writes ({@code .NAME.HEX.tmp}) anywhere
     * in the run, staging folders of interrupted analyses, and earlier analysis results moved aside for replacement
     * ({@code analyses/.replaced/}): restored when the analysis folder has no results, else deleted. Call only while
     * holding the run's {@link RunLock}.
     *
     * @return the paths removed or restored
     */
    public List<Path> recoverInterruptedWrites() throws IOException {
        List<Path> done = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                if (WRITE_TEMP.matcher(p.getFileName().toString()).matches()) {
                    Files.deleteIfExists(p);
                    done.add(p);
                }
            }
        }
        Path adir = dir.resolve(ANALYSES);
        if (!Files.isDirectory(adir)) return done;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(adir, p -> p.getFileName().toString().startsWith(".")
                && p.getFileName().toString().contains(".staging-"))) {
            for (Path p : s) {
                deleteTree(p);
                done.add(p);
            }
        }
        Path replaced = adir.resolve(".replaced");
        if (Files.isDirectory(replaced)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(replaced)) {
                for (Path backup : s) {
                    String name = backup.getFileName().toString().replaceFirst("-\\d{8}-\\d{6}-\\d{3}$", "");
                    if (ANALYSIS_NAME.matcher(name).matches()) {
                        Path folder = backup.resolve("folder");
                        if (Files.isDirectory(folder)) {
                            if (!hasResults(name)) { // the whole folder was moved aside and nothing replaced it
                                deleteTree(analysisPath(name));
                                Files.move(folder, analysisPath(name));
                            }
                        } else { // parts of the folder (e.g. one kind of records): put back what is missing
                            try (DirectoryStream<Path> parts = Files.newDirectoryStream(backup)) {
                                for (Path part : parts) {
                                    Path target = analysisDir(name).resolve(part.getFileName().toString());
                                    if (!Files.exists(target)) Files.move(part, target);
                                }
                            }
                        }
                    }
                    deleteTree(backup);
                    done.add(backup);
                }
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(replaced)) {
                if (!s.iterator().hasNext()) Files.deleteIfExists(replaced);
            }
        }
        return done;
    }

    /** Deletes a file or a folder with everything in it (nothing when absent). */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    @Override
    public String toString() {
        return "RunFolder[" + dir + ", " + config.dataset() + "/" + config.model() + ", noise "
                + config.noiseFraction() + ", seed " + config.seed() + "]";
    }
}
