package dev.engram.memorization.gradients;

import com.google.gson.reflect.TypeToken;
import dev.engram.engine.Tensor;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gradient accounting of one epoch (or one checkpoint), docs/methods.md §2.
 *
 * @param epoch           training epoch whose batches were accounted (1-based, parameters changing during the epoch)
 *                        or checkpoint index (parameters fixed), see {@code source}
 * @param source          {@link #DURING_TRAINING} or {@link #AT_CHECKPOINT}
 * @param groups          layer-group names in forward order
 * @param cleanNorm       per group: {@code Σ_{p ∈ group} ||G_c,p|| / √numel(p)}
 * @param noisyNorm       same for the noisy part
 * @param totalNorm       same for the total gradient
 * @param cosine          per group: mean over the group's tensors of {@code cos(G_c,p, G_n,p)} (NaN when undefined)
 * @param exampleNorms    {@code [groups + 1][examples]}: per-example gradient norm {@code ||∇ CE_i||} restricted to each
 *                        group, then over all parameters (last row); NaN for examples not seen
 * @param additivityError largest {@code ||G_c,p + G_n,p − G_t,p|| / max(||G_c,p||, ||G_n,p||)} over tensors p
 * @param batches         mini-batches accounted
 * @param seconds         wall time of the accounted pass
 * @param exampleNormMode how the per-example norms were computed: a {@link GradientAccumulator.ExampleNorms} name
 *                        (records written before the choice existed are {@code TRAIN_BATCH})
 */
public record EpochAccount(int epoch, String source, List<String> groups, double[] cleanNorm, double[] noisyNorm,
                           double[] totalNorm, double[] cosine, float[][] exampleNorms, double additivityError,
                           int batches, double seconds, String exampleNormMode) {
    /** Accounted on the training batches of an epoch, before each batch's update. */
    public static final String DURING_TRAINING = "training";
    /** Accounted with the fixed parameters of a saved checkpoint. */
    public static final String AT_CHECKPOINT = "checkpoint";

    /** Validates shapes. */
    public EpochAccount {
        groups = List.copyOf(groups);
        int g = groups.size();
        if (cleanNorm.length != g || noisyNorm.length != g || totalNorm.length != g || cosine.length != g
                || exampleNorms.length != g + 1) {
            throw new IllegalArgumentException("EpochAccount: per-group arrays must have " + g + " entries (and "
                    + (g + 1) + " rows of per-example norms)");
        }
        GradientAccumulator.ExampleNorms.valueOf(exampleNormMode); // validates
    }

    /** The per-example norm mode. */
    public GradientAccumulator.ExampleNorms normMode() {
        return GradientAccumulator.ExampleNorms.valueOf(exampleNormMode);
    }

    /** Number of examples. */
    public int examples() {
        return exampleNorms[0].length;
    }

    /** Per-example norms over all parameters. */
    public float[] allNorms() {
        return exampleNorms[groups.size()];
    }

    /** Sum over groups of the clean part's normalised norms. */
    public double cleanNormSum() {
        return Arrays.stream(cleanNorm).sum();
    }

    /** Sum over groups of the noisy part's normalised norms. */
    public double noisyNormSum() {
        return Arrays.stream(noisyNorm).sum();
    }

    /** Sum over groups of the total gradient's normalised norms. */
    public double totalNormSum() {
        return Arrays.stream(totalNorm).sum();
    }

    /** Writes this account to {@code file} (safetensors; numbers as tensors, the rest as metadata). */
    public void save(Path file) throws IOException {
        int g = groups.size(), n = examples();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("clean_norm", Tensor.of(toFloat(cleanNorm), g));
        t.put("noisy_norm", Tensor.of(toFloat(noisyNorm), g));
        t.put("total_norm", Tensor.of(toFloat(totalNorm), g));
        t.put("cosine", Tensor.of(toFloat(cosine), g));
        float[] ex = new float[(g + 1) * n];
        for (int r = 0; r <= g; r++) System.arraycopy(exampleNorms[r], 0, ex, r * n, n);
        t.put("example_norms", Tensor.of(ex, g + 1, n));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("source", source);
        meta.put("groups", Results.GSON.toJson(groups));
        meta.put("additivity_error", Double.toString(additivityError));
        meta.put("batches", Integer.toString(batches));
        meta.put("seconds", Double.toString(seconds));
        meta.put("example_norm_mode", exampleNormMode);
        SafeTensors.write(file, t, meta);
    }

    /**
     * Reads an account written by {@link #save}.
     *
     * @throws RunFolderException naming the file when it is unreadable or incomplete
     */
    public static EpochAccount load(Path file) {
        try {
            SafeTensors.Contents c = SafeTensors.read(file);
            Map<String, String> m = c.metadata();
            List<String> groups = Results.GSON.fromJson(m.get("groups"), new TypeToken<ArrayList<String>>() { }.getType());
            int g = groups.size();
            float[] ex = c.tensors().get("example_norms").toFloatArray();
            int n = ex.length / (g + 1);
            float[][] rows = new float[g + 1][];
            for (int r = 0; r <= g; r++) rows[r] = Arrays.copyOfRange(ex, r * n, (r + 1) * n);
            return new EpochAccount(Integer.parseInt(m.get("epoch")), m.get("source"), groups,
                    toDouble(c.tensors().get("clean_norm")), toDouble(c.tensors().get("noisy_norm")),
                    toDouble(c.tensors().get("total_norm")), toDouble(c.tensors().get("cosine")), rows,
                    Double.parseDouble(m.get("additivity_error")), Integer.parseInt(m.get("batches")),
                    Double.parseDouble(m.get("seconds")), m.getOrDefault("example_norm_mode", "TRAIN_BATCH"));
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(file, "cannot read gradient-accounting record " + file + ": " + e.getMessage(), e);
        }
    }

    /** File name of the record of {@code epoch}. */
    public static String fileName(int epoch) {
        return String.format(Locale.ROOT, "epoch-%03d.safetensors", epoch);
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
