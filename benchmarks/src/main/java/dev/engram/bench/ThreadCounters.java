package dev.engram.bench;

import java.lang.management.ManagementFactory;

/**
 * Java heap bytes allocated and CPU time used so far by all live threads (HotSpot's per-thread
 * counters) and the process's minor page faults, so a benchmark can report allocation and CPU time per step: numbers that depend far
 * less on how loaded a shared machine is than wall-clock time. Threads that ended are not counted;
 * the engine's workers are long-lived.
 */
final class ThreadCounters {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThreadCounters() {}

    /** Sum of the allocated-bytes counters of all live threads. */
    static long allocatedBytes() {
        long sum = 0;
        for (long b : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (b > 0) sum += b;
        }
        return sum;
    }

    /** Minor page faults of this process so far (Linux {@code /proc/self/stat}), or -1 elsewhere. */
    static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // fields after the parenthesised command name: state ppid pgrp session tty tpgid flags minflt
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Sum of the CPU time (user + system) of all live threads, in nanoseconds. */
    static long cpuNanos() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t > 0) sum += t;
        }
        return sum;
    }
}
