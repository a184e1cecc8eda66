package dev.engram.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The timing discipline Engram's {@link StepBenchmark} and its DJL + libtorch peer share: a warm-up
 * of at least {@code warmup} steps and {@code warmupSec} seconds, then at least {@code iters} timed
 * steps and {@code minTimedSec} seconds, with a full garbage collection in between (as JMH's
 * {@code -gc true}); {@link #result} reports median, min and max. Optional per-step
 * counters (allocation, CPU time, page faults) are kept for the timed steps only.
 */
public final class StepTimer {
    private final int warmup, iters;
    private final double warmupSec, minTimedSec;
    private final long start = System.nanoTime();
    private long timedStart = -1;
    private int warmDone;
    private final List<Double> times = new ArrayList<>();
    final List<Long> allocated = new ArrayList<>(), cpuNanos = new ArrayList<>(), faults = new ArrayList<>();

    /** A timer whose phases end after the given step counts and durations (seconds), whichever is later. */
    public StepTimer(int warmup, double warmupSec, int iters, double minTimedSec) {
        this.warmup = warmup;
        this.warmupSec = warmupSec;
        this.iters = iters;
        this.minTimedSec = minTimedSec;
    }

    /** Whether another step should run. */
    public boolean more() {
        long now = System.nanoTime();
        if (timedStart < 0) {
            if (warmDone < warmup || (now - start) / 1e9 < warmupSec) return true;
            // as JMH's -gc option: a full collection between warm-up and measurement, so that the
            // one-time promotion of what warm-up left live (e.g. pooled arrays) is not timed
            System.gc();
            timedStart = now = System.nanoTime();
        }
        return times.size() < iters || (now - timedStart) / 1e9 < minTimedSec;
    }

    /** Records a step that ran from {@code t0} to {@code t1} ({@link System#nanoTime()}). */
    public void record(long t0, long t1) {
        if (timedStart < 0) warmDone++;
        else times.add((t1 - t0) / 1e6);
    }

    void recordCounters(long allocatedBytes, long cpuNs, long minorFaults) {
        if (timedStart < 0) return;
        allocated.add(allocatedBytes);
        cpuNanos.add(cpuNs);
        faults.add(minorFaults);
    }

    static double median(List<Long> values) {
        long[] s = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    /** Number of warm-up steps run. */
    public int warmDone() {
        return warmDone;
    }

    /** Number of timed steps recorded so far. */
    public int timedSteps() {
        return times.size();
    }

    /** Timed step durations in milliseconds. */
    public double[] times() {
        return times.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Prints the summary line and returns the {@code RESULT} fields {@code name, median_ms, min_ms,
     * gflop, max_ms} both harnesses print (max last, so readers of the first four fields still work).
     */
    public String[] result(String name, double gflop) {
        double[] s = times();
        Arrays.sort(s);
        double med = s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
        double p99 = s[Math.min(s.length - 1, (int) Math.ceil(0.99 * s.length) - 1)];
        long over = Arrays.stream(s).filter(v -> v > 1.25 * med).count();
        System.out.printf(Locale.ROOT, "%s: %d timed, median %.2f ms, min %.2f ms, p99 %.2f ms, max %.2f ms; %d step(s) over 1.25 x median%n",
                name, s.length, med, s[0], p99, s[s.length - 1], over);
        return new String[] {name, String.format(Locale.ROOT, "%.4f", med), String.format(Locale.ROOT, "%.4f", s[0]),
            String.format(Locale.ROOT, "%.6f", gflop), String.format(Locale.ROOT, "%.4f", s[s.length - 1])};
    }
}
