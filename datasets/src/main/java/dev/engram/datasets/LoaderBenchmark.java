package dev.engram.datasets;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Loader throughput benchmark: a CIFAR-10-shaped synthetic dataset (50,000 × 3×32×32 random bytes, generated in
 * memory), crop with padding 4 + horizontal flip + {@link Normalization#PAPER}, batch 512, shuffled, 2 worker
 * threads; prints batches/s per epoch and the min / median over the timed epochs (after one warm-up epoch).
 *
 * <p>Usage: {@code java -cp datasets/target/classes:<slf4j-api> dev.engram.datasets.LoaderBenchmark [epochs]
 * [workers]}.
 */
public final class LoaderBenchmark {
    private LoaderBenchmark() { }

    /** Runs the benchmark. */
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int n = 50_000;
        byte[] px = new byte[n * 3072];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < px.length; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < px.length; k++) px[i + k] = (byte) (v >>> (8 * k));
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        Dataset d = new Dataset("synthetic-cifar10", 3, 32, 32, 10, px, y);
        double[] rates = new double[epochs];
        try (DataLoader l = DataLoader.builder(d).batchSize(512).shuffle(true, 4)
                .augmentation(Augmentation.cropAndFlip(4)).normalization(Normalization.PAPER)
                .workers(workers).prefetch(4).build()) {
            for (int e = -1; e < epochs; e++) {
                l.setEpoch(e + 1);
                long t0 = System.nanoTime();
                int batches = 0;
                double checksum = 0;
                for (Batch b : l) {
                    batches++;
                    checksum += b.x()[0];
                }
                double s = (System.nanoTime() - t0) / 1e9;
                double rate = batches / s;
                System.out.printf("epoch %d%s: %d batches in %.3f s = %.1f batches/s (%.0f images/s) [chk %.3f]%n",
                        e + 1, e < 0 ? " (warm-up)" : "", batches, s, rate, rate * 512, checksum);
                if (e >= 0) rates[e] = rate;
            }
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf("workers=%d batch=512 epochs=%d: min %.1f batches/s, median %.1f batches/s%n",
                workers, epochs, sorted[0], median);
    }
}
