package dev.engram.memorization.metrics;

import java.util.Arrays;

/**
 * Per-example learning events from a correctness matrix {@code correct[t][i]} (row t = the t-th evaluated epoch,
 * column i = example i), as in the Maini et al. code base (docs/methods.md §8.12) and Toneva et al.'s forgetting events.
 * Epoch numbers are those of the rows ({@link #epochs()}), so the matrix may start at epoch 0 (initialisation) or 1.
 * Results use {@link #NEVER} (-1) for "did not happen".
 */
public final class LearningEvents {
    /** Marker for an event that never happened. */
    public static final int NEVER = -1;

    private final int[] epochs;
    private final boolean[][] correct;
    private final int n;

    /**
     * @param epochs  strictly increasing epoch number of each row
     * @param correct {@code correct[t][i]}: example i classified as its training label after epoch {@code epochs[t]}
     */
    public LearningEvents(int[] epochs, boolean[][] correct) {
        if (epochs.length != correct.length) {
            throw new IllegalArgumentException(epochs.length + " epoch numbers for " + correct.length + " rows");
        }
        if (correct.length == 0) throw new IllegalArgumentException("correctness matrix has no rows");
        n = correct[0].length;
        for (int t = 0; t < correct.length; t++) {
            if (correct[t].length != n) {
                throw new IllegalArgumentException("row " + t + " has " + correct[t].length + " examples, row 0 has " + n);
            }
            if (t > 0 && epochs[t] <= epochs[t - 1]) {
                throw new IllegalArgumentException("epochs must increase, got " + Arrays.toString(epochs));
            }
        }
        this.epochs = epochs.clone();
        this.correct = new boolean[correct.length][];
        for (int t = 0; t < correct.length; t++) this.correct[t] = correct[t].clone();
    }

    /** Rows numbered 0, 1, …, T−1. */
    public static LearningEvents ofConsecutive(boolean[][] correct) {
        int[] e = new int[correct.length];
        for (int t = 0; t < e.length; t++) e[t] = t;
        return new LearningEvents(e, correct);
    }

    /** Epoch number of each row. */
    public int[] epochs() {
        return epochs.clone();
    }

    /** Number of examples. */
    public int size() {
        return n;
    }

    /**
     * How forgetting events are counted and ranked.
     * <ul>
     *   <li>{@link #TONEVA} (default): Toneva et al. 2019, "An Empirical Study of Example Forgetting during Deep Neural
     *   Network Learning": only presentations during training count, so the untrained model's epoch-0 evaluation is
     *   dropped; an example never learned in any presentation counts as forgotten infinitely often and ranks as more
     *   forgettable than every learned example.</li>
     *   <li>{@link #ALL_ROWS}: the earlier Engram definition, kept for comparison: transitions over every row including
     *   epoch 0, and a never-learned example has 0 events (it ranks with the unforgettable ones).</li>
     * </ul>
     * Both use correctness from the per-epoch evaluations of the training set; Toneva's reference code records
     * correctness as seen in the training minibatches, which Engram does not keep.
     */
    public enum Forgetting {
        /** Toneva et al. 2019 (default). */
        TONEVA,
        /** Every row counts, never-learned = 0 events. */
        ALL_ROWS
    }

    /** These events without the epoch-0 (initialisation) row, if there is one and another row remains. */
    public LearningEvents withoutInitialisation() {
        if (epochs[0] != 0 || correct.length < 2) return this;
        return new LearningEvents(Arrays.copyOfRange(epochs, 1, epochs.length),
                Arrays.copyOfRange(correct, 1, correct.length));
    }

    /**
     * Forgetting score per example, larger = more forgettable. {@link Forgetting#TONEVA}: forgetting events over the
     * rows after initialisation, and for a never-learned example a value above every learned example's (the number of
     * rows, which no example can reach since an event needs a correct row before it). {@link Forgetting#ALL_ROWS}:
     * {@link #forgettingEvents()}.
     */
    public double[] forgettingScore(Forgetting definition) {
        if (definition == Forgetting.ALL_ROWS) return Arrays.stream(forgettingEvents()).asDoubleStream().toArray();
        LearningEvents trained = withoutInitialisation();
        int[] events = trained.forgettingEvents();
        boolean[] never = trained.neverLearned();
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = never[i] ? trained.correct.length : events[i];
        return r;
    }

    /**
     * Forgetting-event counts per example under {@code definition}: {@link Forgetting#TONEVA} counts only rows after
     * initialisation (never-learned examples have 0 here; see {@link #neverLearned()} and {@link #forgettingScore}).
     */
    public int[] forgettingEvents(Forgetting definition) {
        return definition == Forgetting.ALL_ROWS ? forgettingEvents() : withoutInitialisation().forgettingEvents();
    }

    /** Forgetting events: for each example the number of rows t ≥ 1 where it was correct at t−1 and wrong at t. */
    public int[] forgettingEvents() {
        int[] r = new int[n];
        for (int t = 1; t < correct.length; t++) {
            for (int i = 0; i < n; i++) if (correct[t - 1][i] && !correct[t][i]) r[i]++;
        }
        return r;
    }

    /** Whether each example was never correct in any row (Toneva et al. treat these as forgotten infinitely often). */
    public boolean[] neverLearned() {
        boolean[] r = new boolean[n];
        for (int i = 0; i < n; i++) {
            boolean any = false;
            for (boolean[] row : correct) any |= row[i];
            r[i] = !any;
        }
        return r;
    }

    /** First epoch at which each example is correct, {@link #NEVER} if it never is. */
    public int[] firstCorrectEpoch() {
        int[] r = new int[n];
        Arrays.fill(r, NEVER);
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < correct.length; t++) {
                if (correct[t][i]) {
                    r[i] = epochs[t];
                    break;
                }
            }
        }
        return r;
    }

    /**
     * First epoch from which each example stays correct through the last row ("learned for good"), {@link #NEVER}
     * if it is wrong in the last row.
     */
    public int[] learnedForGoodEpoch() {
        int[] r = new int[n];
        int last = correct.length - 1;
        for (int i = 0; i < n; i++) {
            if (!correct[last][i]) {
                r[i] = NEVER;
                continue;
            }
            int t = last;
            while (t > 0 && correct[t - 1][i]) t--;
            r[i] = epochs[t];
        }
        return r;
    }

    /**
     * {@link #learnedForGoodEpoch()} with "never" coded as {@link #neverLearnedForGoodEpoch()}, one past the last row's
     * epoch: later than any epoch, so that the value orders the examples by how late they are learned (higher =
     * later), never-learned examples last. This is the coding of every result table's {@code learned_for_good_epoch}
     * column and of the learned-for-good detection score.
     */
    public int[] learnedForGoodEpochOrAfterLast() {
        int[] r = learnedForGoodEpoch();
        int never = neverLearnedForGoodEpoch();
        for (int i = 0; i < r.length; i++) if (r[i] == NEVER) r[i] = never;
        return r;
    }

    /**
     * The value of {@link #learnedForGoodEpochOrAfterLast()} for an example never learned for good: the last row's
     * epoch + 1 (the number of rows when they are epochs 0..E).
     */
    public int neverLearnedForGoodEpoch() {
        return epochs[epochs.length - 1] + 1;
    }

    /** First epoch at which each example is forgotten (correct in the previous row, wrong now), else {@link #NEVER}. */
    public int[] firstForgottenEpoch() {
        int[] r = new int[n];
        Arrays.fill(r, NEVER);
        for (int i = 0; i < n; i++) {
            for (int t = 1; t < correct.length; t++) {
                if (correct[t - 1][i] && !correct[t][i]) {
                    r[i] = epochs[t];
                    break;
                }
            }
        }
        return r;
    }

    /** Fraction of examples in {@code subset} (indices) correct in each row: an accuracy curve over epochs. */
    public double[] accuracyCurve(int[] subset) {
        if (subset.length == 0) throw new IllegalArgumentException("accuracy of an empty subset");
        double[] r = new double[correct.length];
        for (int t = 0; t < correct.length; t++) {
            int c = 0;
            for (int i : subset) {
                if (i < 0 || i >= n) throw new IndexOutOfBoundsException("example " + i + " not in [0, " + n + ")");
                if (correct[t][i]) c++;
            }
            r[t] = (double) c / subset.length;
        }
        return r;
    }
}
