package dev.engram.memorization.localize;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Draws the "other training examples" a method compares a target with: a seeded sample excluding given rows. */
final class OtherExamples {
    private OtherExamples() { }

    /**
     * Up to {@code size} distinct rows of {@code [0, n)} not in {@code exclude}, drawn with {@code seed}, sorted.
     *
     * @throws IllegalArgumentException when no row is left
     */
    static int[] draw(int n, int size, long seed, int[] exclude) {
        boolean[] out = new boolean[n];
        for (int r : exclude) if (r >= 0 && r < n) out[r] = true;
        int[] pool = java.util.stream.IntStream.range(0, n).filter(r -> !out[r]).toArray();
        if (pool.length == 0) throw new IllegalArgumentException("localization: no training example left besides the targets");
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x10CA112EL);
        for (int i = pool.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        int[] r = Arrays.copyOf(pool, Math.min(size, pool.length));
        Arrays.sort(r);
        return r;
    }
}
