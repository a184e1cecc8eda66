package dev.engram.nn.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.optim.Optimizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A training checkpoint named {@code name} in a directory, as three files:
 * <ul>
 *   <li>{@code <name>.safetensors}: the model's {@code stateDict()} (parameters and buffers under
 *       their PyTorch names; loadable by {@code safetensors.torch.load_file});</li>
 *   <li>{@code <name>.optim.safetensors}: the optimizer's state dict (optional);</li>
 *   <li>{@code <name>.json}: the {@link TrainingState}, written last, so its presence marks a
 *       complete checkpoint.</li>
 * </ul>
 * BatchNorm's {@code num_batches_tracked} counters are written as I64, as PyTorch writes them
 * (Engram keeps them as float32 in memory); integer tensors read where the model has float32 ones
 * are converted ({@link #conform}), so PyTorch-written files load too.
 * Every file is written atomically. A state holding a NaN or infinite value (weights, buffers or
 * optimizer state) is never written: {@link #save} refuses it before touching any file, so a
 * diverged model can never appear as a complete checkpoint. Loading checks the model and the
 * optimizer state together and reports every missing, unexpected, mis-shaped, mis-typed or
 * non-finite entry in one exception before anything is changed.
 */
public final class Checkpoint {
    /** Suffix of the weights file. */
    public static final String WEIGHTS = ".safetensors";
    /** Suffix of the optimizer-state file. */
    public static final String OPTIMIZER = ".optim.safetensors";
    /** Suffix of the training-state file. */
    public static final String STATE = ".json";
    private static final String FORMAT = "engram-checkpoint";
    private static final Pattern EPOCH_NAME = Pattern.compile("epoch-(\\d+)");
    /** Temporary files of {@link AtomicFiles} writing checkpoint files: {@code .epoch-007.json.<hex>.tmp}. */
    private static final Pattern CHECKPOINT_TMP =
            Pattern.compile("\\.epoch-\\d+\\.(safetensors|optim\\.safetensors|json)\\.[0-9a-f]+\\.tmp");
    private static final Pattern EPOCH_FILE = Pattern.compile("epoch-(\\d+)(\\.safetensors|\\.optim\\.safetensors)");
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    private Checkpoint() {}

    /** The conventional name of the checkpoint after {@code epoch} epochs ({@code epoch-007}; 0 = initialization). */
    public static String epochName(int epoch) {
        return String.format(java.util.Locale.ROOT, "epoch-%03d", epoch);
    }

    /** Path of the weights file of checkpoint {@code name}. */
    public static Path weightsFile(Path dir, String name) {
        return dir.resolve(name + WEIGHTS);
    }

    /** Path of the optimizer-state file of checkpoint {@code name}. */
    public static Path optimizerFile(Path dir, String name) {
        return dir.resolve(name + OPTIMIZER);
    }

    /** Path of the training-state file of checkpoint {@code name}. */
    public static Path stateFile(Path dir, String name) {
        return dir.resolve(name + STATE);
    }

    /** Whether a complete checkpoint {@code name} exists (its state file is written last). */
    public static boolean exists(Path dir, String name) {
        return Files.isRegularFile(stateFile(dir, name)) && Files.isRegularFile(weightsFile(dir, name));
    }

    /** Epochs of the complete {@code epoch-NNN} checkpoints in {@code dir}, ascending (empty if none). */
    public static List<Integer> epochs(Path dir) throws IOException {
        TreeSet<Integer> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) return List.of();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String f = p.getFileName().toString();
                if (!f.endsWith(STATE)) continue;
                Matcher m = EPOCH_NAME.matcher(f.substring(0, f.length() - STATE.length()));
                if (m.matches() && exists(dir, m.group(0))) out.add(Integer.parseInt(m.group(1)));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Removes what killed writes leave in a checkpoint directory of {@code epoch-NNN} checkpoints, and returns the
     * removed files: temporary files of interrupted atomic writes ({@code .epoch-NNN.*.tmp}); files of incomplete
     * checkpoints after the latest complete one (their state file was never written); and, unless
     * {@code keepAllOptimizerStates}, optimizer-state files of every epoch but the latest complete one (a kill
     * between writing a checkpoint and removing the previous optimizer state leaves one behind). Call it only while
     * no other process writes the directory (when a run starts or resumes).
     */
    public static List<Path> removeLeftovers(Path dir, boolean keepAllOptimizerStates) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) return removed;
        List<Integer> complete = epochs(dir);
        int latest = complete.isEmpty() ? -1 : complete.get(complete.size() - 1);
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.sorted().toList();
        }
        for (Path p : files) {
            String f = p.getFileName().toString();
            boolean remove = false;
            if (CHECKPOINT_TMP.matcher(f).matches()) {
                remove = true;
            } else {
                Matcher m = EPOCH_FILE.matcher(f);
                if (m.matches()) {
                    int epoch = Integer.parseInt(m.group(1));
                    boolean optim = m.group(2).equals(OPTIMIZER);
                    remove = epoch > latest || (optim && !keepAllOptimizerStates && epoch != latest);
                }
            }
            if (remove && Files.deleteIfExists(p)) removed.add(p);
        }
        return removed;
    }

    /**
     * Writes checkpoint {@code name}: the model's state dict, the optimizer's state (when
     * {@code optimizer} is non-null) and {@code state}.
     */
    public static void save(Path dir, String name, Module model, Optimizer optimizer, TrainingState state) throws IOException {
        Map<String, Tensor> weights = model.stateDict();
        Map<String, Tensor> optState = optimizer == null ? Map.of() : optimizer.stateDict();
        String bad = describeNonFinite(weights);
        if (bad != null) bad = "model " + bad;
        else if ((bad = describeNonFinite(optState)) != null) bad = "optimizer state " + bad;
        if (bad != null) {
            throw new IllegalStateException("checkpoint '" + name + "' in " + dir + " not written: " + bad
                    + "; a non-finite state is never saved");
        }
        Files.createDirectories(dir);
        // an older state file of the same name would mark a half-rewritten checkpoint as complete
        Files.deleteIfExists(stateFile(dir, name));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("engram.epoch", Integer.toString(state.epoch()));
        meta.put("engram.global_step", Long.toString(state.globalStep()));
        SafeTensors.write(weightsFile(dir, name), weights, meta, SafeTensors.PYTORCH_INT64_BUFFERS);
        if (optimizer != null) {
            SafeTensors.write(optimizerFile(dir, name), optState,
                    Map.of("engram.optimizer", optimizer.getClass().getSimpleName()));
        } else {
            Files.deleteIfExists(optimizerFile(dir, name)); // a stale one would not match these weights
        }
        JsonObject json = new JsonObject();
        json.addProperty("format", FORMAT);
        json.addProperty("version", 1);
        json.addProperty("epoch", state.epoch());
        json.addProperty("globalStep", state.globalStep());
        json.addProperty("optimizer", optimizer == null ? null : optimizer.getClass().getSimpleName());
        json.add("counters", GSON.toJsonTree(state.counters()));
        json.add("metrics", GSON.toJsonTree(state.metrics()));
        AtomicFiles.writeString(stateFile(dir, name), GSON.toJson(json) + "\n");
    }

    /** Reads the training state of checkpoint {@code name}. */
    public static TrainingState readState(Path dir, String name) throws IOException {
        Path file = stateFile(dir, name);
        try {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IOException(file + ": malformed checkpoint state: not valid UTF-8 text (" + e + ")", e);
            }
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            if (!o.has("format") || !FORMAT.equals(o.get("format").getAsString())) {
                throw new IOException(file + ": not an engram checkpoint state (missing \"format\": \"" + FORMAT + "\")");
            }
            Map<String, Long> counters = new LinkedHashMap<>();
            if (o.has("counters")) for (var e : o.getAsJsonObject("counters").entrySet()) counters.put(e.getKey(), e.getValue().getAsLong());
            Map<String, Double> metrics = new LinkedHashMap<>();
            if (o.has("metrics")) {
                for (var e : o.getAsJsonObject("metrics").entrySet()) {
                    JsonElement v = e.getValue();
                    metrics.put(e.getKey(), v.isJsonNull() ? Double.NaN : v.getAsDouble());
                }
            }
            return new TrainingState(o.get("epoch").getAsInt(), o.get("globalStep").getAsLong(), counters, metrics);
        } catch (JsonParseException | IllegalStateException | NullPointerException | NumberFormatException
                 | UnsupportedOperationException e) {
            throw new IOException(file + ": malformed checkpoint state: " + e.getMessage(), e);
        }
    }

    /** The model state dict stored in checkpoint {@code name} (CPU tensors), e.g. for layer rewinding. */
    public static Map<String, Tensor> readWeights(Path dir, String name) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>(SafeTensors.load(weightsFile(dir, name)));
        // Engram keeps num_batches_tracked as float32; the file stores it as I64 (read as int32)
        out.replaceAll((k, t) -> SafeTensors.PYTORCH_INT64_BUFFERS.test(k) && t.dtype() == dev.engram.engine.DType.INT32
                ? t.toFloat() : t);
        return out;
    }

    /**
     * {@code found} with PyTorch's int64 counters ({@link SafeTensors#PYTORCH_INT64_BUFFERS}, read as int32) converted
     * to float32 where {@code expected} (a model's state dict) keeps them as float32; other entries unchanged.
     */
    public static Map<String, Tensor> conform(Map<String, Tensor> expected, Map<String, Tensor> found) {
        Map<String, Tensor> out = new LinkedHashMap<>(found);
        out.replaceAll((k, t) -> intCounterForFloat(k, expected.get(k), t) ? t.toFloat() : t);
        return out;
    }

    /** Whether {@code found} is an integer counter that PyTorch stores as int64 where the model keeps a float32. */
    private static boolean intCounterForFloat(String name, Tensor own, Tensor found) {
        return own != null && own.dtype() == dev.engram.engine.DType.FLOAT32 && found.dtype() == dev.engram.engine.DType.INT32
                && SafeTensors.PYTORCH_INT64_BUFFERS.test(name);
    }

    /**
     * Restores checkpoint {@code name} into {@code model} and (when non-null) {@code optimizer},
     * and returns its training state. All mismatches are collected first; on any, nothing is
     * changed and an {@link IllegalArgumentException} lists them all.
     */
    public static TrainingState load(Path dir, String name, Module model, Optimizer optimizer) throws IOException {
        TrainingState state = readState(dir, name);
        Path wf = weightsFile(dir, name);
        Map<String, Tensor> weights = conform(model.stateDict(), SafeTensors.load(wf));
        List<String> problems = new ArrayList<>();
        for (String p : stateDictProblems(model.stateDict(), weights)) problems.add(wf.getFileName() + ": " + p);
        String badWeights = describeNonFinite(weights);
        if (badWeights != null) problems.add(wf.getFileName() + ": " + badWeights);
        Map<String, Tensor> optState = null;
        if (optimizer != null) {
            Path of = optimizerFile(dir, name);
            if (!Files.isRegularFile(of)) {
                problems.add(of.getFileName() + ": missing; the checkpoint has no optimizer state");
            } else {
                optState = SafeTensors.load(of);
                for (String p : optimizer.validateStateDict(optState)) problems.add(of.getFileName() + ": " + p);
                String badOpt = describeNonFinite(optState);
                if (badOpt != null) problems.add(of.getFileName() + ": " + badOpt);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("checkpoint '" + name + "' in " + dir + " does not match the "
                    + model.getClass().getSimpleName() + (optimizer != null ? " and its " + optimizer.getClass().getSimpleName() : "")
                    + " (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", problems));
        }
        model.loadStateDict(weights, true);
        if (optimizer != null) optimizer.loadStateDict(optState);
        return state;
    }

    /**
     * The first NaN or infinite element of a state dict.
     *
     * @param tensor the tensor's name
     * @param index  the element's flat (row-major) index
     * @param value  the element
     */
    public record NonFinite(String tensor, int index, float value) {
        @Override public String toString() {
            return "tensor '" + tensor + "' element " + index + " is " + value;
        }
    }

    /** The first non-finite element of {@code tensors} (map order, floating-point tensors only), or null. */
    public static NonFinite firstNonFinite(Map<String, Tensor> tensors) {
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() == dev.engram.engine.DType.INT32) continue;
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) if (!Float.isFinite(v[i])) return new NonFinite(e.getKey(), i, v[i]);
        }
        return null;
    }

    private static String describeNonFinite(Map<String, Tensor> tensors) {
        NonFinite n = firstNonFinite(tensors);
        return n == null ? null : n.toString();
    }

    /**
     * Every missing, unexpected, mis-shaped or mis-typed entry of {@code found} against {@code expected}. An integer
     * tensor where {@code expected} has float32 is accepted only for PyTorch's int64 counters ({@link #conform}); an
     * integer weight or bias is a mistake in the file and is listed.
     */
    public static List<String> stateDictProblems(Map<String, Tensor> expected, Map<String, Tensor> found) {
        List<String> problems = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Tensor src = found.get(e.getKey());
            Tensor own = e.getValue();
            if (src == null) {
                problems.add("missing '" + e.getKey() + "' " + Arrays.toString(own.shape()) + " " + own.dtype().label());
            } else if (!Arrays.equals(src.shape(), own.shape()) || (src.dtype() != own.dtype()
                    && !intCounterForFloat(e.getKey(), own, src))) {
                problems.add("'" + e.getKey() + "': expected " + Arrays.toString(own.shape()) + " " + own.dtype().label()
                        + ", found " + Arrays.toString(src.shape()) + " " + src.dtype().label());
            }
        }
        for (String k : found.keySet()) if (!expected.containsKey(k)) problems.add("unexpected '" + k + "'");
        return problems;
    }
}
