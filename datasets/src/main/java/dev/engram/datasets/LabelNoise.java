package dev.engram.datasets;

import java.util.Random;

/**
 * Label corruption exactly as the paper's code ({@code dataloader.py corrupt_labels}, docs/methods.md §1.2):
 * <ol>
 * <li>{@code k = (int) (fraction * N)} — an exact count, not a Bernoulli draw;</li>
 * <li>k distinct indices chosen uniformly without replacement (a partial Fisher–Yates shuffle of 0..N−1);</li>
 * <li>for the chosen indices, in selection order, offsets {@code r} uniform in {1, …, C−2};</li>
 * <li>{@code y_new = (y + r) mod C}.</li>
 * </ol>
 * <b>Quirk kept on purpose:</b> because r never equals C−1, the new label is never the true label <em>and never
 * {@code (y − 1) mod C}</em>; it is uniform over C−2 of the C−1 wrong classes (the original code's comment says
 * the intent was only "never the true label"). With C = 2 the offsets 1..C−2 are empty and the only wrong label is
 * used (r = 1, no draw); a fraction that corrupts no label accepts any C ≥ 1.
 *
 * <p><b>RNG:</b> the original uses numpy's PCG64 ({@code default_rng(seed)}); its streams are not reproduced
 * bit-exactly here. This class uses {@link java.util.Random} (whose algorithm is fixed by its specification, so
 * results are identical on every JVM) seeded with {@code seed}: first the k index draws
 * {@code nextInt(N - i)}, then the k offset draws {@code 1 + nextInt(C - 2)}. To reproduce a Python run
 * bit-exactly, export the index/label arrays from Python and load them with {@link NoisyLabels#load}.
 */
public final class LabelNoise {
    private LabelNoise() { }

    /**
     * Corrupts {@code (int)(fraction * labels.length)} labels.
     *
     * @param labels     original labels in [0, numClasses)
     * @param numClasses C ≥ 2 (any C ≥ 1 when no label is corrupted)
     * @param fraction   in [0, 1]
     * @param seed       RNG seed (the run seed in the paper)
     */
    public static NoisyLabels corrupt(int[] labels, int numClasses, double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("label noise fraction must be in [0, 1], got " + fraction);
        }
        int n = labels.length;
        if (numClasses < 2 && (int) (fraction * n) > 0) {
            throw new IllegalArgumentException("label noise needs at least 2 classes to corrupt a label, the data has "
                    + numClasses);
        }
        // offsets 1..C-2 (the only wrong label when C = 2): never the true class, never y - 1
        return relabel(labels, numClasses, fraction, seed,
                (rng, y) -> (y + (numClasses == 2 ? 1 : 1 + rng.nextInt(numClasses - 2))) % numClasses);
    }

    /**
     * Random labels as Zhang et al. ("Understanding deep learning requires rethinking generalization", ICLR 2017, §2)
     * define them: {@code (int)(fraction * N)} examples, chosen as in {@link #corrupt} (a partial Fisher–Yates shuffle
     * with {@code java.util.Random(seed)}), each get a class drawn uniformly from all C classes, which may be its true
     * class (about 1/C of them). The mask marks the examples whose label changed.
     *
     * @param labels     original labels in [0, numClasses)
     * @param numClasses C ≥ 1
     * @param fraction   in [0, 1]
     * @param seed       RNG seed
     */
    public static NoisyLabels uniform(int[] labels, int numClasses, double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("random-label fraction must be in [0, 1], got " + fraction);
        }
        if (numClasses < 1) throw new IllegalArgumentException("random labels need at least 1 class, got " + numClasses);
        return relabel(labels, numClasses, fraction, seed, (rng, y) -> rng.nextInt(numClasses));
    }

    /** A new label for an example of label {@code y}, drawn from {@code rng}. */
    private interface Relabeling {
        int next(Random rng, int y);
    }

    /**
     * Relabels {@code (int)(fraction * N)} examples chosen by a partial Fisher–Yates shuffle (all index draws first),
     * then, in selection order, each with {@code relabeling}; the mask marks the labels that changed.
     */
    private static NoisyLabels relabel(int[] labels, int numClasses, double fraction, long seed, Relabeling relabeling) {
        int n = labels.length;
        for (int y : labels) {
            if (y < 0 || y >= numClasses) throw new IllegalArgumentException("label " + y + " outside [0," + numClasses + ")");
        }
        int k = (int) (fraction * n);
        Random rng = new Random(seed);
        int[] perm = chooseIndices(n, k, rng);
        int[] noisy = labels.clone();
        boolean[] mask = new boolean[n];
        for (int i = 0; i < k; i++) {
            int idx = perm[i];
            noisy[idx] = relabeling.next(rng, labels[idx]);
            mask[idx] = noisy[idx] != labels[idx];
        }
        return new NoisyLabels(noisy, labels, mask, fraction, seed);
    }

    /** The first {@code k} entries of a partial Fisher–Yates shuffle of 0..n−1 (k draws {@code nextInt(n − i)}). */
    private static int[] chooseIndices(int n, int k, Random rng) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /** Convenience: corrupts the labels of {@code train}. */
    public static NoisyLabels corrupt(Dataset train, double fraction, long seed) {
        return corrupt(train.labels(), train.numClasses(), fraction, seed);
    }
}
