package dev.engram.memorization.train;

import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Tensor;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.Provenance;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.io.TrainingState;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes a run folder from weights trained elsewhere (PyTorch, an earlier Engram version): the checkpoints of one or
 * many epochs, the labels the model trained on and the configuration, so that every analysis that needs only
 * checkpoints (rewinding, flipping, checkpoint scores, gradient accounting from checkpoints) runs on it. See
 * {@code docs/pytorch.md}.
 *
 * <p>Every weights file is read and checked against the model's state dict (names, shapes, finite values; F16/BF16/F64
 * weights and I64/I32 counters are converted) <em>before</em> anything is written; the checkpoints are then written as
 * Engram writes them ({@code checkpoints/epoch-NNN.safetensors} plus the {@code .json} training state).
 */
public final class RunImport {
    /** Names of per-epoch weights files in a folder: {@code epoch-007.safetensors}, {@code epoch_7.safetensors}, {@code epoch7.safetensors}. */
    public static final Pattern EPOCH_FILE = Pattern.compile("epoch[-_]?(\\d+)\\.safetensors");

    private RunImport() { }

    /**
     * The weights files to import by epoch. A folder gives every {@link #EPOCH_FILE} in it; a single file is the
     * checkpoint after {@code singleFileEpoch}.
     *
     * @throws IllegalArgumentException when the path does not exist, the folder has no epoch files, or an epoch
     *                                  appears twice
     */
    public static SortedMap<Integer, Path> weightFiles(Path weights, int singleFileEpoch) throws IOException {
        SortedMap<Integer, Path> out = new TreeMap<>();
        if (Files.isRegularFile(weights)) {
            if (singleFileEpoch < 1) throw new IllegalArgumentException("the epoch of a single weights file must be >= 1, got " + singleFileEpoch);
            out.put(singleFileEpoch, weights);
            return out;
        }
        if (!Files.isDirectory(weights)) throw new IllegalArgumentException("weights " + weights + " do not exist");
        try (DirectoryStream<Path> s = Files.newDirectoryStream(weights)) {
            for (Path p : s) {
                Matcher m = EPOCH_FILE.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(p)) continue;
                int e = Integer.parseInt(m.group(1));
                Path before = out.put(e, p);
                if (before != null) {
                    throw new IllegalArgumentException("epoch " + e + " appears twice in " + weights + ": " + before.getFileName()
                            + " and " + p.getFileName());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no weights files in " + weights + "; expected epoch-000.safetensors,"
                    + " epoch-001.safetensors, … (or pass a single .safetensors file)");
        }
        return out;
    }

    /**
     * Every problem of the weights files against {@code model} (empty when all import): unreadable files, missing,
     * unexpected or mis-shaped tensors, non-finite values; each prefixed with the file name. Also a final epoch of 0.
     */
    public static List<String> validate(SortedMap<Integer, Path> files, Module model) {
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> expected = model.stateDict();
        for (var e : files.entrySet()) {
            Path f = e.getValue();
            Map<String, Tensor> w;
            try {
                w = SafeTensors.load(f);
            } catch (IOException | RuntimeException ex) {
                problems.add(f + ": cannot read: " + ex.getMessage());
                continue;
            }
            List<String> p = Checkpoint.stateDictProblems(expected, w);
            for (int i = 0; i < Math.min(8, p.size()); i++) problems.add(f.getFileName() + ": " + p.get(i));
            if (p.size() > 8) problems.add(f.getFileName() + ": … (" + (p.size() - 8) + " more)");
            Checkpoint.NonFinite bad = Checkpoint.firstNonFinite(w);
            if (bad != null) problems.add(f.getFileName() + ": " + bad);
        }
        if (files.lastKey() < 1) problems.add("the last checkpoint is epoch " + files.lastKey() + "; at least one trained epoch is needed");
        return problems;
    }

    /**
     * Checks the weights files against {@code model} and {@code config} ({@link #validate}; the configuration's
     * epochs must be the last epoch of {@code files}).
     *
     * @throws IllegalArgumentException listing every problem
     */
    public static void check(ExperimentConfig config, SortedMap<Integer, Path> files, Module model) {
        List<String> problems = validate(files, model);
        if (config.epochs() != files.lastKey()) {
            problems.add("the configuration says " + config.epochs() + " epochs but the last checkpoint is epoch " + files.lastKey());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot import " + files.size() + " weights file(s) for model " + config.model()
                    + " (" + problems.size() + " problem(s); nothing written):\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * Validates the weights files against {@code model} ({@link #check}), then creates run folder {@code dir} (see
     * {@link RunFolder#create}) with {@code config} (its {@code epochs} must be the last epoch of {@code files}) and
     * {@code noise}, and writes the checkpoints.
     *
     * @param model       a freshly built model of {@code config} (its state dict is the reference; it is overwritten)
     * @param commandLine recorded in {@code provenance.json}
     * @throws IllegalArgumentException listing every problem, before anything is written
     */
    public static RunFolder create(Path dir, ExperimentConfig config, NoisyLabels noise, SortedMap<Integer, Path> files,
                                   Module model, List<String> commandLine) throws IOException {
        return create(dir, config, noise, null, files, model, commandLine);
    }

    /**
     * As {@link #create(Path, ExperimentConfig, NoisyLabels, SortedMap, Module, List)}, also writing {@code normalization}
     * (unless null) as the run's {@value RunFolder#NORMALIZATION}, with the run folder's creation (before its
     * config.json, which marks a complete creation).
     */
    public static RunFolder create(Path dir, ExperimentConfig config, NoisyLabels noise,
                                   dev.engram.datasets.Normalization normalization, SortedMap<Integer, Path> files,
                                   Module model, List<String> commandLine) throws IOException {
        check(config, files, model);
        List<String> cmd = new ArrayList<>(commandLine);
        RunFolder run = RunFolder.create(dir, config, noise, Provenance.capture(cmd, List.of(config.seed())), normalization);
        Map<String, Tensor> own = model.stateDict();
        for (var e : files.entrySet()) {
            Map<String, Tensor> w = Checkpoint.conform(own, SafeTensors.load(e.getValue()));
            model.loadStateDict(w, true);
            Checkpoint.save(run.checkpointsDir(), Checkpoint.epochName(e.getKey()), model, null,
                    new TrainingState(e.getKey(), 0, Map.of(), Map.of()));
        }
        Files.writeString(run.dir().resolve(RunFolder.IMPORTED), "imported by engram import from:\n"
                + String.join("\n", files.values().stream().map(p -> p.toAbsolutePath().toString()).toList()) + "\n",
                StandardCharsets.UTF_8);
        run.markFinished();
        return run;
    }

    /**
     * Labels from a list of noisy examples: {@code noisyIndices} rows {@code index,label} (the label the model was
     * trained on; a header line and {@code #} comments are skipped), all other examples keep {@code originalLabels}.
     * The fraction is the share of noisy examples.
     *
     * @throws IllegalArgumentException naming the file and line of a malformed row, an index out of range, a repeated
     *                                  index, a label outside {@code [0, classes)}, or a label equal to the example's
     *                                  original label (an example trained on its true label is not mislabeled)
     */
    public static NoisyLabels fromNoisyIndices(Path noisyIndices, int[] originalLabels, int classes) throws IOException {
        int n = originalLabels.length;
        int[] noisy = originalLabels.clone();
        boolean[] mask = new boolean[n];
        int count = 0, lineNo = 0;
        for (String line : Files.readAllLines(noisyIndices, StandardCharsets.UTF_8)) {
            lineNo++;
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#") || (lineNo == 1 && !Character.isDigit(t.charAt(0)))) continue;
            String[] f = t.split("\\s*[,\\s]\\s*");
            int idx, label;
            try {
                if (f.length != 2) throw new NumberFormatException("expected 2 fields");
                idx = Integer.parseInt(f[0]);
                label = Integer.parseInt(f[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(noisyIndices + " line " + lineNo + ": expected 'index,label'"
                        + " (the label the model trained on), found '" + line + "'");
            }
            if (idx < 0 || idx >= n) {
                throw new IllegalArgumentException(noisyIndices + " line " + lineNo + ": index " + idx
                        + " is outside the " + n + " training examples");
            }
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException(noisyIndices + " line " + lineNo + ": label " + label
                        + " is outside [0, " + classes + ")");
            }
            if (mask[idx]) {
                throw new IllegalArgumentException(noisyIndices + " line " + lineNo + ": index " + idx + " appears twice");
            }
            if (label == originalLabels[idx]) {
                throw new IllegalArgumentException(noisyIndices + " line " + lineNo + ": index " + idx + " has label " + label
                        + ", which is its original label; list only mislabeled examples, each with the (wrong) label it"
                        + " was trained on");
            }
            mask[idx] = true;
            noisy[idx] = label;
            count++;
        }
        return new NoisyLabels(noisy, originalLabels, mask, n == 0 ? 0 : (double) count / n, 0);
    }
}
