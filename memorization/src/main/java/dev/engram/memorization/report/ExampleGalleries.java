package dev.engram.memorization.report;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's example galleries, drawn from an analysis' per-example table and the run's training images:
 * <ul>
 *   <li>neuron flipping ({@code targets.csv}): the memorized mislabeled and clean targets that flip with the fewest
 *       zeroed units;</li>
 *   <li>per-example scores ({@code scores.csv}): for each detection score, the training examples it ranks most
 *       memorized, and the least memorized ones by mean loss.</li>
 * </ul>
 * Each tile shows the example id, its score, and its given and true labels (red when they differ: a mislabeled
 * example).
 */
public final class ExampleGalleries {
    /** Tiles per strip. */
    public static final int PER_STRIP = 10;

    private ExampleGalleries() { }

    /** One rendered gallery: caption and PNG bytes. */
    public record Figure(String caption, byte[] png) { }

    /** What the galleries need of the run: its training images and the true labels. */
    public interface Images {
        /** The training examples with the labels the run trained on. */
        ExampleSet train() throws IOException;

        /** The true (uncorrupted) training labels. */
        int[] trueLabels() throws IOException;

        /** A run's images. */
        static Images of(RunData data) {
            return new Images() {
                @Override public ExampleSet train() throws IOException {
                    return data.trainSet();
                }

                @Override public int[] trueLabels() throws IOException {
                    return data.run().noise().originalLabels();
                }
            };
        }
    }

    /** The galleries of analysis {@code name} (none for analyses without one, or when its table is missing). */
    public static List<Figure> of(RunFolder run, String name, Images images) throws IOException {
        if (name.equals(AnalysisKind.FLIPPING.dirName())) {
            Path f = run.analysisPath(name).resolve("targets.csv");
            return Files.isRegularFile(f) ? flipping(CsvTable.read(f), images) : List.of();
        }
        if (name.equals(AnalysisKind.SCORES.dirName())) {
            Path f = run.analysisPath(name).resolve("scores.csv");
            return Files.isRegularFile(f) ? scores(CsvTable.read(f), images) : List.of();
        }
        return List.of();
    }

    /** Memorized targets that flip with the fewest units, mislabeled and clean. */
    static List<Figure> flipping(CsvTable t, Images images) throws IOException {
        Columns c = new Columns(t);
        ExampleSet train = images.train();
        if (!Gallery.showable(train)) return List.of();
        int[] truth = images.trueLabels();
        Map<Integer, Integer> rowOf = rows(train);
        List<Gallery.Strip> strips = new ArrayList<>();
        for (boolean noisy : new boolean[] {true, false}) {
            List<List<String>> sel = t.rows().stream()
                    .filter(r -> c.integer(r, "noisy") == (noisy ? 1 : 0) && c.integer(r, "memorized") == 1
                            && c.integer(r, "flipped") == 1)
                    .sorted(Comparator.comparingInt((List<String> r) -> c.integer(r, "count"))
                            .thenComparingInt(r -> c.integer(r, "example_id")))
                    .limit(PER_STRIP).toList();
            List<Gallery.Tile> tiles = new ArrayList<>();
            for (List<String> r : sel) {
                int id = c.integer(r, "example_id");
                Integer row = rowOf.get(id);
                if (row == null) continue;
                int count = c.integer(r, "count");
                tiles.add(tile(row, id, count + (count == 1 ? " unit" : " units"), train.labels()[row], truth, id));
            }
            if (!tiles.isEmpty()) {
                strips.add(new Gallery.Strip((noisy ? "mislabeled" : "clean") + " targets flipped with the fewest units",
                        tiles));
            }
        }
        if (strips.isEmpty()) return List.of();
        String caption = "Memorized targets that flip with the fewest zeroed units (given / true label)";
        return List.of(new Figure(caption, Gallery.render(caption, train, strips)));
    }

    /** For each detection score the top examples, and the least memorized by mean loss. */
    static List<Figure> scores(CsvTable t, Images images) throws IOException {
        Columns c = new Columns(t);
        ExampleSet train = images.train();
        if (!Gallery.showable(train)) return List.of();
        int[] truth = images.trueLabels();
        Map<Integer, Integer> rowOf = rows(train);
        String[][] scores = { // column, direction (+1: higher = more memorized), label
                {"mean_loss", "1", "highest mean loss"}, {"mean_margin", "-1", "lowest mean margin"},
                {"forgetting_score", "1", "most forgetting"}, {LEARNED_FOR_GOOD, "1", "learned latest (or never)"},
                {"final_loss", "1", "highest final loss"}, {"mean_loss", "-1", "least memorized: lowest mean loss"}};
        List<Gallery.Strip> strips = new ArrayList<>();
        for (String[] s : scores) {
            if (!c.has(s[0])) continue;
            List<Gallery.Tile> tiles = new ArrayList<>();
            for (List<String> r : top(t, s[0], Integer.parseInt(s[1]))) {
                int id = c.integer(r, "index");
                Integer row = rowOf.get(id);
                if (row == null) continue;
                double v = c.number(r, s[0]);
                String label = s[0].equals(LEARNED_FOR_GOOD) && v < 0 ? "never" : String.format(Locale.ROOT, "%.3g", v);
                tiles.add(tile(row, id, label, train.labels()[row], truth, id));
            }
            if (!tiles.isEmpty()) strips.add(new Gallery.Strip(s[2], tiles));
        }
        if (strips.isEmpty()) return List.of();
        String caption = "Training examples each score ranks most memorized, and the least memorized (given / true label)";
        return List.of(new Figure(caption, Gallery.render(caption, train, strips)));
    }

    /** The scores.csv column of the epoch from which an example stays learned. */
    static final String LEARNED_FOR_GOOD = "learned_for_good_epoch";

    /**
     * The {@link #PER_STRIP} rows of scores.csv that {@code column} ranks first in {@code direction} (+1: highest
     * first), ties by index. In {@link #LEARNED_FOR_GOOD} a never-learned example is the last epoch + 1, so it ranks
     * as learned latest; a negative value (-1 = never, in tables written before that coding) ranks the same way.
     */
    static List<List<String>> top(CsvTable t, String column, int direction) {
        Columns c = new Columns(t);
        java.util.function.ToDoubleFunction<List<String>> value = column.equals(LEARNED_FOR_GOOD)
                ? r -> c.number(r, column) < 0 ? Double.MAX_VALUE : c.number(r, column)
                : r -> c.number(r, column);
        return t.rows().stream().filter(r -> Double.isFinite(c.number(r, column)))
                .sorted(Comparator.comparingDouble((List<String> r) -> -direction * value.applyAsDouble(r))
                        .thenComparingInt(r -> c.integer(r, "index")))
                .limit(PER_STRIP).toList();
    }

    private static Gallery.Tile tile(int row, int id, String score, int given, int[] truth, int index) {
        int real = index >= 0 && index < truth.length ? truth[index] : given;
        return new Gallery.Tile(row, "#" + id + " · " + score, "given " + given + " / true " + real, given != real);
    }

    private static Map<Integer, Integer> rows(ExampleSet s) {
        Map<Integer, Integer> m = new HashMap<>();
        int[] ids = s.ids();
        for (int i = 0; i < ids.length; i++) m.put(ids[i], i);
        return m;
    }

    /** Columns of a CSV table by name. */
    private static final class Columns {
        private final Map<String, Integer> index = new HashMap<>();

        Columns(CsvTable t) {
            for (int i = 0; i < t.header().size(); i++) index.put(t.header().get(i), i);
        }

        boolean has(String name) {
            return index.containsKey(name);
        }

        private String cell(List<String> row, String name) {
            Integer i = index.get(name);
            if (i == null) throw new IllegalArgumentException("table has no column '" + name + "'");
            return i < row.size() ? row.get(i) : "";
        }

        int integer(List<String> row, String name) {
            String v = cell(row, name);
            try {
                return v.isEmpty() ? -1 : (int) Double.parseDouble(v);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        double number(List<String> row, String name) {
            String v = cell(row, name);
            try {
                return v.isEmpty() ? Double.NaN : Double.parseDouble(v);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
    }
}
