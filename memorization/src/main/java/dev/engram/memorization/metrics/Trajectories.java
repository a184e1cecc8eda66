package dev.engram.memorization.metrics;

/**
 * Per-example summaries of a quantity tracked over epochs (loss, margin, confidence): {@code values[t][i]} is the
 * value for example i after the t-th evaluated epoch. Also the margin of a logit vector. Scores such as "mean
 * training loss over epochs" (area under the loss curve) are common mislabel detectors.
 */
public final class Trajectories {
    private Trajectories() { }

    /**
     * Summary statistics of one example's trajectory.
     *
     * @param mean  mean over epochs (area under the curve divided by the number of epochs)
     * @param std   population standard deviation over epochs
     * @param first value in the first row
     * @param last  value in the last row
     * @param min   minimum over epochs
     * @param max   maximum over epochs
     */
    public record Summary(double mean, double std, double first, double last, double min, double max) { }

    /**
     * Per-example summaries, arrays indexed by example.
     *
     * @param mean  per-example mean
     * @param std   per-example standard deviation
     * @param first per-example first value
     * @param last  per-example last value
     * @param min   per-example minimum
     * @param max   per-example maximum
     */
    public record Summaries(double[] mean, double[] std, double[] first, double[] last, double[] min, double[] max) {
        /** Summary of example {@code i}. */
        public Summary of(int i) {
            return new Summary(mean[i], std[i], first[i], last[i], min[i], max[i]);
        }
    }

    /**
     * Summarizes every column of {@code values} ([epochs × N]).
     *
     * @throws IllegalArgumentException when the matrix is empty or ragged; {@link NotFiniteException} when it holds a non-finite value
     */
    public static Summaries summarize(double[][] values) {
        if (values.length == 0) throw new IllegalArgumentException("trajectory matrix has no rows");
        int n = values[0].length;
        int rows = values.length;
        for (int t = 0; t < rows; t++) {
            if (values[t].length != n) {
                throw new IllegalArgumentException("row " + t + " has " + values[t].length + " examples, row 0 has " + n);
            }
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(values[t][i])) {
                    throw new NotFiniteException("value for example " + i + " in row " + t + " is " + values[t][i]);
                }
            }
        }
        double[] mean = new double[n], std = new double[n], first = new double[n], last = new double[n];
        double[] min = new double[n], max = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double[] row : values) {
                s += row[i];
                lo = Math.min(lo, row[i]);
                hi = Math.max(hi, row[i]);
            }
            double m = s / rows;
            double ss = 0;
            for (double[] row : values) ss += (row[i] - m) * (row[i] - m);
            mean[i] = m;
            std[i] = Math.sqrt(ss / rows);
            first[i] = values[0][i];
            last[i] = values[rows - 1][i];
            min[i] = lo;
            max[i] = hi;
        }
        return new Summaries(mean, std, first, last, min, max);
    }

    /**
     * Margin of one example: logit of {@code label} minus the largest other logit (positive = classified as
     * {@code label}).
     */
    public static double margin(float[] logits, int offset, int numClasses, int label) {
        if (numClasses < 2) throw new IllegalArgumentException("margin needs at least 2 classes, got " + numClasses);
        if (label < 0 || label >= numClasses) {
            throw new IllegalArgumentException("label " + label + " outside [0, " + numClasses + ")");
        }
        if (offset < 0 || offset + numClasses > logits.length) {
            throw new IllegalArgumentException("logits [" + offset + ", " + (offset + numClasses)
                    + ") outside an array of " + logits.length);
        }
        double other = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < numClasses; k++) if (k != label) other = Math.max(other, logits[offset + k]);
        return logits[offset + label] - other;
    }

    /** Margins of a batch of logits {@code [B × C]} row-major against {@code labels}. */
    public static double[] margins(float[] logits, int numClasses, int[] labels) {
        if (logits.length != labels.length * numClasses) {
            throw new IllegalArgumentException("logits has " + logits.length + " values, expected " + labels.length
                    + " × " + numClasses);
        }
        double[] r = new double[labels.length];
        for (int b = 0; b < labels.length; b++) r[b] = margin(logits, b * numClasses, numClasses, labels[b]);
        return r;
    }
}
