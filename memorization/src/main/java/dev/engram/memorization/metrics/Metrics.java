package dev.engram.memorization.metrics;

import java.util.Arrays;

/**
 * Detection metrics for "does this per-example score predict that an example is noisy (mislabeled)?". A higher score
 * must mean "more likely noisy"; negate scores where lower means more likely (e.g. the number of neurons needed to
 * flip an example).
 */
public final class Metrics {
    private Metrics() { }

    /**
     * Area under the ROC curve, computed as the Mann–Whitney statistic: the probability that a randomly drawn
     * positive has a higher score than a randomly drawn negative, ties counted one half. Ranks are assigned in
     * ascending score order with tied scores receiving their average rank, then
     * {@code AUROC = (R+ − n+(n+ + 1)/2) / (n+ · n−)} where {@code R+} is the rank sum of the positives.
     * O(N log N).
     *
     * @param scores   one finite score per example
     * @param positive {@code positive[i]} true when example i is noisy
     * @throws IllegalArgumentException on length mismatch, a non-finite score, or when one class is empty
     */
    public static double auroc(double[] scores, boolean[] positive) {
        checkInputs(scores, positive);
        int n = scores.length;
        long nPos = 0;
        for (boolean p : positive) if (p) nPos++;
        long nNeg = n - nPos;
        if (nPos == 0 || nNeg == 0) {
            throw new IllegalArgumentException("AUROC needs both positive and negative examples, got " + nPos
                    + " positive and " + nNeg + " negative");
        }
        double[] ranks = averageRanks(scores);
        double rankSumPos = 0;
        for (int i = 0; i < n; i++) if (positive[i]) rankSumPos += ranks[i];
        double u = rankSumPos - nPos * (nPos + 1) / 2.0;
        return u / ((double) nPos * nNeg);
    }

    /**
     * Ranks 1..N in ascending order of {@code values}; tied values get the mean of the ranks they span.
     */
    public static double[] averageRanks(double[] values) {
        int n = values.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] ranks = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && values[order[j + 1]] == values[order[i]]) j++;
            double avg = (i + 1 + j + 1) / 2.0; // ranks i+1 … j+1
            for (int k = i; k <= j; k++) ranks[order[k]] = avg;
            i = j + 1;
        }
        return ranks;
    }

    /**
     * Fraction of noisy examples among the {@code k} highest-scoring examples. When the k-th place falls inside a
     * group of tied scores, the group contributes its noisy fraction times the number of its places inside the top
     * k, i.e. the value is the expectation over random tie-breaking.
     *
     * @throws IllegalArgumentException unless {@code 1 <= k <= N}, or on bad inputs
     */
    public static double precisionAtK(double[] scores, boolean[] positive, int k) {
        checkInputs(scores, positive);
        int n = scores.length;
        if (k < 1 || k > n) throw new IllegalArgumentException("precision@k needs 1 <= k <= " + n + ", got k=" + k);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        double hits = 0;
        int taken = 0;
        int i = 0;
        while (taken < k) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            int groupSize = j - i + 1;
            int groupPos = 0;
            for (int t = i; t <= j; t++) if (positive[order[t]]) groupPos++;
            int places = Math.min(groupSize, k - taken);
            hits += (double) groupPos * places / groupSize;
            taken += places;
            i = j + 1;
        }
        return hits / k;
    }

    /** Precision at k = number of positives (the "R-precision"), a natural single k for noise detection. */
    public static double precisionAtNumPositives(double[] scores, boolean[] positive) {
        int nPos = 0;
        for (boolean p : positive) if (p) nPos++;
        if (nPos == 0) throw new IllegalArgumentException("precision@#noisy needs at least one noisy example");
        return precisionAtK(scores, positive, nPos);
    }

    /** Negated copy, for scores where a lower value means "more likely noisy". */
    public static double[] negate(double[] scores) {
        double[] r = new double[scores.length];
        for (int i = 0; i < r.length; i++) r[i] = -scores[i];
        return r;
    }

    private static void checkInputs(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException("scores has " + scores.length + " entries, labels " + positive.length);
        }
        if (scores.length == 0) throw new IllegalArgumentException("no examples");
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new NotFiniteException("score of example " + i + " is " + scores[i]);
            }
        }
    }
}
