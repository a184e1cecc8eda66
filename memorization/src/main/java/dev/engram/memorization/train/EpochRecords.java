package dev.engram.memorization.train;

import dev.engram.engine.Tensor;
import dev.engram.memorization.data.Evaluation;
import dev.engram.nn.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-epoch evaluation records of a training run, in {@code analyses/training/epochs/epoch-NNN.safetensors}: per
 * training example whether the prediction equals the training label, the loss and the margin, plus the epoch's
 * numbers as metadata. Written as soon as an epoch is evaluated, so a resumed run keeps the epochs before an
 * interruption; {@link #writeTrajectories} joins them into {@code per-example.safetensors} (rows = epochs), which the
 * per-example scores read.
 */
public final class EpochRecords {
    /** File with the per-example trajectories, in the training analysis folder. */
    public static final String PER_EXAMPLE = "per-example.safetensors";
    /** Sub-folder of the training analysis folder with one record per epoch. */
    public static final String FOLDER = "epochs";

    private EpochRecords() { }

    /** File name of the record of {@code epoch}. */
    public static String fileName(int epoch) {
        return String.format(Locale.ROOT, "epoch-%03d.safetensors", epoch);
    }

    /**
     * Writes the per-example evaluation and numbers of an epoch; with {@code ev == null} keeps the record's tensors and
     * only rewrites the numbers.
     */
    static void save(Path records, TrainingRun.EpochStats st, Evaluation.PerExample ev) throws IOException {
        Path f = records.resolve(fileName(st.epoch()));
        Map<String, Tensor> t = new LinkedHashMap<>();
        if (ev == null) {
            t.putAll(SafeTensors.load(f));
        } else {
            int n = ev.size();
            float[] c = new float[n];
            for (int i = 0; i < n; i++) c[i] = ev.correct()[i] ? 1f : 0f;
            t.put("correct", Tensor.of(c, n));
            t.put("loss", Tensor.of(ev.loss(), n));
            t.put("margin", Tensor.of(ev.margin(), n));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(st.epoch()));
        meta.put("learning_rate", Double.toString(st.learningRate()));
        meta.put("train_loss", Double.toString(st.trainLoss()));
        meta.put("clean_accuracy", Double.toString(st.cleanAccuracy()));
        meta.put("noisy_accuracy", Double.toString(st.noisyAccuracy()));
        meta.put("test_accuracy", Double.toString(st.testAccuracy()));
        meta.put("seconds", Double.toString(st.seconds()));
        meta.put("susceptibility", Double.toString(st.susceptibility()));
        SafeTensors.write(f, t, meta);
    }

    /**
     * The numbers of a saved record, or null when it is missing, unreadable or not of {@code examples} examples (the
     * caller recomputes it from the epoch's checkpoint).
     */
    static TrainingRun.EpochStats read(Path records, int epoch, int examples) {
        Path f = records.resolve(fileName(epoch));
        if (!Files.isRegularFile(f)) return null;
        try {
            SafeTensors.Contents c = SafeTensors.read(f);
            Map<String, String> m = c.metadata();
            if (!c.tensors().keySet().containsAll(List.of("correct", "loss", "margin"))
                    || c.tensors().get("correct").numel() != examples) {
                return null;
            }
            return new TrainingRun.EpochStats(Integer.parseInt(m.get("epoch")), Double.parseDouble(m.get("learning_rate")),
                    Double.parseDouble(m.get("train_loss")), Double.parseDouble(m.get("clean_accuracy")),
                    Double.parseDouble(m.get("noisy_accuracy")), Double.parseDouble(m.get("test_accuracy")),
                    Double.parseDouble(m.get("seconds")), Double.parseDouble(m.getOrDefault("susceptibility", "NaN")));
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    /** Joins the records of epochs 0..{@code epochs} into {@code outDir/per-example.safetensors}. */
    static void writeTrajectories(Path records, Path outDir, int epochs, int n) throws IOException {
        float[] correct = new float[(epochs + 1) * n];
        float[] loss = new float[(epochs + 1) * n];
        float[] margin = new float[(epochs + 1) * n];
        for (int e = 0; e <= epochs; e++) {
            Map<String, Tensor> t = SafeTensors.load(records.resolve(fileName(e)));
            System.arraycopy(t.get("correct").toFloatArray(), 0, correct, e * n, n);
            System.arraycopy(t.get("loss").toFloatArray(), 0, loss, e * n, n);
            System.arraycopy(t.get("margin").toFloatArray(), 0, margin, e * n, n);
        }
        Map<String, Tensor> traj = new LinkedHashMap<>();
        traj.put("correct", Tensor.of(correct, epochs + 1, n));
        traj.put("loss", Tensor.of(loss, epochs + 1, n));
        traj.put("margin", Tensor.of(margin, epochs + 1, n));
        SafeTensors.write(outDir.resolve(PER_EXAMPLE), traj, Map.of("rows", "epochs 0.." + epochs,
                "columns", "training examples 0.." + (n - 1), "labels", "training (noisy) labels"));
    }
}
