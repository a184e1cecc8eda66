package dev.engram.memorization.localize;

import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.localize.LocalizationComparison.Comparison;
import dev.engram.memorization.localize.LocalizationComparison.MethodResult;
import dev.engram.memorization.localize.LocalizationComparison.TargetResult;
import dev.engram.memorization.report.Charts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files and the text table of a {@link Comparison}: {@code methods.csv} (one row per method, means and
 * standard deviations), {@code per-target.csv}, a figure with every method side by side, and the JSON-ready summary.
 */
public final class ComparisonFiles {
    private ComparisonFiles() { }

    /** Per method, the summary written into results.json. */
    public static List<Map<String, Object>> summary(Comparison c) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MethodResult m : c.methods()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("method", m.method());
            r.put("targets", m.targets().size());
            r.put("precisionAtTruth", m.meanStd(TargetResult::precision));
            r.put("recallAtTruth", m.meanStd(TargetResult::recall));
            r.put("auroc", m.meanStd(TargetResult::auroc));
            Map<String, Object> byK = new LinkedHashMap<>();
            for (int i = 0; i < c.ks().length; i++) {
                final int q = i;
                byK.put(String.valueOf(c.ks()[i]), Map.of("removalRate", m.removalRate(i),
                        "trainAccuracy", m.meanStd(t -> t.trainAcc()[q]), "testAccuracy", m.meanStd(t -> t.testAcc()[q])));
            }
            r.put("ablation", byK);
            r.put("specificityJaccard", m.specificity());
            r.put("secondsPerTarget", m.secondsPerTarget());
            rows.add(r);
        }
        return rows;
    }

    /**
     * Writes {@code <prefix>methods.csv}, {@code <prefix>per-target.csv} and the figure {@code <prefix>figureName} into
     * {@code dir}.
     */
    public static void write(Comparison c, Path dir, String prefix, String figureName, String title,
                             Map<String, Integer> tapChannels) throws IOException {
        List<String> header = new ArrayList<>(List.of("method", "targets", "precision_at_truth_mean", "precision_at_truth_sd",
                "recall_at_truth_mean", "recall_at_truth_sd", "auroc_mean", "auroc_sd"));
        for (int k : c.ks()) header.addAll(List.of("removed_at_" + k, "train_acc_at_" + k, "test_acc_at_" + k));
        header.addAll(List.of("specificity_jaccard", "seconds_per_target"));
        CsvTable t = new CsvTable(header);
        for (MethodResult m : c.methods()) {
            List<Object> row = new ArrayList<>(List.of(m.method(), m.targets().size()));
            for (double[] v : List.of(m.meanStd(TargetResult::precision), m.meanStd(TargetResult::recall),
                    m.meanStd(TargetResult::auroc))) {
                row.add(v[0]);
                row.add(v[1]);
            }
            for (int i = 0; i < c.ks().length; i++) {
                final int q = i;
                row.add(m.removalRate(i));
                row.add(m.meanStd(x -> x.trainAcc()[q])[0]);
                row.add(m.meanStd(x -> x.testAcc()[q])[0]);
            }
            row.add(m.specificity());
            row.add(m.secondsPerTarget());
            t.addRow(row.toArray());
        }
        t.write(dir.resolve(prefix + "methods.csv"));
        List<String> ph = new ArrayList<>(List.of("method", "row", "example_id", "truth_size", "precision", "recall", "auroc"));
        for (int k : c.ks()) ph.addAll(List.of("removed_at_" + k, "train_acc_at_" + k, "test_acc_at_" + k));
        ph.add("top_units");
        CsvTable per = new CsvTable(ph);
        for (MethodResult m : c.methods()) {
            for (TargetResult r : m.targets()) {
                List<Object> row = new ArrayList<>(List.of(m.method(), r.row(), r.exampleId(), r.truthSize(), r.precision(),
                        r.recall(), r.auroc()));
                for (int i = 0; i < c.ks().length; i++) {
                    row.add(r.removed()[i] ? 1 : 0);
                    row.add(r.trainAcc()[i]);
                    row.add(r.testAcc()[i]);
                }
                StringBuilder top = new StringBuilder();
                for (int u : r.top()) top.append(top.length() == 0 ? "" : " ").append(unitName(tapChannels, u));
                row.add(top.toString());
                per.addRow(row.toArray());
            }
        }
        per.write(dir.resolve(prefix + "per-target.csv"));
        List<String> cats = c.methods().stream().map(MethodResult::method).toList();
        Map<String, double[]> groups = new LinkedHashMap<>();
        boolean truth = c.methods().stream().anyMatch(m -> !Double.isNaN(m.meanStd(TargetResult::auroc)[0]));
        if (truth) {
            groups.put("precision@|truth|", c.methods().stream().mapToDouble(m -> nanToZero(m.meanStd(TargetResult::precision)[0])).toArray());
            groups.put("AUROC", c.methods().stream().mapToDouble(m -> nanToZero(m.meanStd(TargetResult::auroc)[0])).toArray());
        }
        for (int i = 0; i < c.ks().length; i++) {
            final int q = i;
            groups.put("removed@" + c.ks()[i], c.methods().stream().mapToDouble(m -> m.removalRate(q)).toArray());
        }
        Charts.groupedBar(dir.resolve(prefix + figureName), title, "method", "fraction", cats, groups);
    }

    /** {@code tap#channel} of flat unit {@code u}. */
    static String unitName(Map<String, Integer> tapChannels, int u) {
        int off = 0;
        for (var e : tapChannels.entrySet()) {
            if (u < off + e.getValue()) return e.getKey() + "#" + (u - off);
            off += e.getValue();
        }
        throw new IllegalArgumentException("unit " + u + " outside the " + off + " units of " + tapChannels.keySet());
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /** The comparison as an aligned text table (means ± standard deviations). */
    public static List<String> table(Comparison c) {
        List<String> lines = new ArrayList<>();
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-21s %-13s %-13s", "method", "prec@|truth|", "AUROC"));
        for (int k : c.ks()) h.append(String.format(Locale.ROOT, " %-6s", "rm@" + k));
        int kc = c.ks().length - 1;
        h.append(String.format(Locale.ROOT, " %-11s %-11s %-6s %-8s", "train@" + c.ks()[kc], "test@" + c.ks()[kc], "jacc", "s/target"));
        lines.add(h.toString());
        for (MethodResult m : c.methods()) {
            double[] p = m.meanStd(TargetResult::precision), a = m.meanStd(TargetResult::auroc);
            StringBuilder r = new StringBuilder(String.format(Locale.ROOT, "%-21s %-13s %-13s", m.method(), pm(p), pm(a)));
            for (int i = 0; i < c.ks().length; i++) r.append(String.format(Locale.ROOT, " %-6.2f", m.removalRate(i)));
            r.append(String.format(Locale.ROOT, " %-11s %-11s %-6.3f %-8.3f", pm(m.meanStd(t -> t.trainAcc()[kc])),
                    pm(m.meanStd(t -> t.testAcc()[kc])), m.specificity(), m.secondsPerTarget()));
            lines.add(r.toString());
        }
        lines.add(String.format(Locale.ROOT, "(nothing zeroed: train %.3f, test %.3f; %d units; rm@k = share of targets whose"
                + " prediction zeroing the top-k units removes; jacc = mean top-set overlap between targets)",
                c.baseTrainAcc(), c.baseTestAcc(), c.units()));
        return lines;
    }

    private static String pm(double[] v) {
        return Double.isNaN(v[0]) ? "-" : String.format(Locale.ROOT, "%.3f±%.3f", v[0], v[1]);
    }
}
