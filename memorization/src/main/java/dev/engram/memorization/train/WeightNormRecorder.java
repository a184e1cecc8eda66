package dev.engram.memorization.train;

import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.train.StepContext;
import dev.engram.nn.train.StepListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * Per-step weight norms of a training run (docs/methods.md §8.14), for the slingshot effect of Thilak et al. (2022):
 * before every optimizer step, the L2 norm of each layer group's parameters ({@link HasLayerGroups}) and of all of
 * them, with the step's mini-batch loss and accuracy (train mode, against the labels trained on), i.e. row {@code s}
 * holds the weights after {@code s} steps. Rows are kept in memory and the whole table is rewritten atomically
 * ({@link #flush}) after every epoch into {@value #FILE}; a resumed run keeps the rows of the steps before its
 * checkpoint and records the rest again.
 */
final class WeightNormRecorder implements StepListener {
    /** The table's file name in {@code analyses/training/}. */
    static final String FILE = "weight-norms.csv";
    /** The chart of the last layer group's norm beside the training accuracy. */
    static final String CHART = "weight-norms.png";
    /** Mini-batch accuracy is drawn as the mean over this many steps. */
    static final int SMOOTHING = 20;

    private final Module model;
    private final List<String> groups;
    private final LinkedHashMap<String, List<String>> members;
    private final Path file;
    private final List<double[]> rows = new ArrayList<>();
    private final StringBuilder text = new StringBuilder(); // the rows formatted so far, without the header
    private int formatted;

    /**
     * A recorder of {@code model}'s group norms into {@code file}; with {@code resumeStep >= 0} the rows of steps before
     * it are read back from the file (a resumed run), otherwise the file is started afresh.
     *
     * @throws IllegalArgumentException when the model has no layer groups
     */
    WeightNormRecorder(Module model, Path file, long resumeStep) throws IOException {
        if (!(model instanceof HasLayerGroups g)) {
            throw new IllegalArgumentException("weight-norm tracking needs a model with layer groups, "
                    + model.getClass().getSimpleName() + " has none");
        }
        this.model = model;
        this.members = g.layerGroups();
        this.groups = List.copyOf(members.keySet());
        this.file = file;
        if (resumeStep >= 0 && Files.isRegularFile(file)) {
            CsvTable t = CsvTable.read(file);
            List<String> want = header();
            if (!t.header().equals(want)) {
                throw new IllegalArgumentException(file + " has columns " + t.header() + ", expected " + want);
            }
            for (int r = 0; r < t.rowCount(); r++) {
                double[] row = new double[want.size()];
                for (int c = 0; c < row.length; c++) row[c] = Double.parseDouble(t.rows().get(r).get(c));
                if (row[0] < resumeStep) rows.add(row);
            }
        }
    }

    /** Column names: step, epoch, learning rate, batch loss and accuracy, {@code norm_<group>}…, {@code norm_all}. */
    List<String> header() {
        List<String> h = new ArrayList<>(List.of("step", "epoch", "learning_rate", "batch_loss", "batch_accuracy"));
        for (String g : groups) h.add("norm_" + g);
        h.add("norm_all");
        return h;
    }

    /** The last step recorded, or -1. */
    long lastStep() {
        return rows.isEmpty() ? -1 : (long) rows.get(rows.size() - 1)[0];
    }

    @Override
    public void beforeBackward(StepContext step) {
        double[] row = new double[5 + groups.size() + 1];
        row[0] = step.globalStep();
        row[1] = step.epoch();
        row[2] = step.learningRate();
        try (Grad g = Grad.disabled()) {
            row[3] = step.loss().item();
            int[] y = step.batch().labels().toIntArray();
            float[] logits = step.logits().toFloatArray();
            int width = logits.length / y.length; // a twin network's training output holds both networks' logits
            int classes = model instanceof dev.engram.nn.models.TwinNetwork ? width / 2 : width;
            int c = 0;
            for (int k = 0; k < y.length; k++) {
                int best = 0;
                for (int j = 1; j < classes; j++) if (logits[k * width + j] > logits[k * width + best]) best = j;
                if (best == y[k]) c++;
            }
            row[4] = (double) c / y.length; // the first network's accuracy for a twin network
        }
        double[] norms = groupNorms(model, members);
        double all = 0;
        for (int i = 0; i < norms.length; i++) {
            row[5 + i] = norms[i];
            all += norms[i] * norms[i];
        }
        row[5 + norms.length] = Math.sqrt(all);
        rows.add(row);
    }

    /**
     * The L2 norm of each group's parameters (all its tensors together), in {@code groups}' order, accumulated in
     * double precision.
     */
    static double[] groupNorms(Module model, LinkedHashMap<String, List<String>> groups) {
        var params = model.namedParameters();
        double[] out = new double[groups.size()];
        int i = 0;
        for (List<String> names : groups.values()) {
            double ss = 0;
            for (String n : names) {
                Tensor p = params.get(n);
                if (p == null) throw new IllegalStateException("layer group parameter '" + n + "' is not a parameter of the model");
                for (float v : p.toFloatArray()) ss += (double) v * v;
            }
            out[i++] = Math.sqrt(ss);
        }
        return out;
    }

    /**
     * Rewrites the table with every row so far (atomically); rows already written are formatted once, so a long run
     * pays for each row's formatting only once.
     */
    void flush() throws IOException {
        List<String> h = header();
        for (; formatted < rows.size(); formatted++) {
            double[] r = rows.get(formatted);
            Object[] cells = new Object[r.length];
            cells[0] = (long) r[0];
            cells[1] = (int) r[1];
            for (int c = 2; c < r.length; c++) cells[c] = r[c];
            String line = new CsvTable(h).addRow(cells).toCsv();
            text.append(line, line.indexOf('\n') + 1, line.length());
        }
        String head = new CsvTable(h).toCsv();
        dev.engram.nn.io.AtomicFiles.writeString(file, head + text);
    }

    /**
     * Draws {@value #CHART}: the last layer group's norm per step (left axis) beside the mini-batch training accuracy
     * (mean over {@value #SMOOTHING} steps, right axis); and {@code weight-norms-groups.png} with every group's norm.
     */
    void writeCharts(Path dir, String optimizer) throws IOException {
        if (rows.isEmpty()) return;
        int n = rows.size();
        double[] step = new double[n], last = new double[n], acc = new double[n];
        String lastGroup = groups.get(groups.size() - 1);
        double window = 0;
        for (int i = 0; i < n; i++) {
            double[] r = rows.get(i);
            step[i] = r[0];
            last[i] = r[5 + groups.size() - 1];
            window += r[4];
            if (i >= SMOOTHING) window -= rows.get(i - SMOOTHING)[4];
            acc[i] = window / Math.min(i + 1, SMOOTHING);
        }
        Charts.twoAxes(dir.resolve(CHART), String.format(Locale.ROOT, "Last layer (%s) weight norm per step (%s)",
                        lastGroup, optimizer), "optimizer step", "L2 norm of " + lastGroup,
                List.of(Charts.Series.of("norm of " + lastGroup, step, last)), "training accuracy",
                List.of(Charts.Series.of("mini-batch accuracy, mean of " + SMOOTHING + " steps (right axis)", step, acc)));
        List<Charts.Series> all = new ArrayList<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rows.get(i)[5 + gi];
            all.add(Charts.Series.of(groups.get(gi), step, v));
        }
        Charts.line(dir.resolve("weight-norms-groups.png"), "Weight norm per layer group and step", "optimizer step",
                "L2 norm", all);
    }
}
