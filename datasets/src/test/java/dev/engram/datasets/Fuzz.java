package dev.engram.datasets;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Seeded mutation fuzzing of a file reader: valid seed files are mutated (bit flips, interesting integers, cuts,
 * insertions, duplications), optionally before re-wrapping (re-compressing) so mutations also reach inside
 * compressed formats, written to a file and read. The only acceptable outcomes are a read whose result passes a
 * consistency check, or the documented exception naming the file; each read must also finish within a generous
 * time bound and allocate less than a memory bound. Iterations, time cap and seed come from the system properties
 * {@code engram.fuzz.iterations} (per reader), {@code engram.fuzz.seconds} (per reader, 0 = no cap) and
 * {@code engram.fuzz.seed} (defaults: {@value #DEFAULT_ITERATIONS} inputs, {@value #DEFAULT_SECONDS} s, seed 13); a failing input is saved under {@code target/fuzz-failures/} for replay.
 */
final class Fuzz {
    /** A reader under test; returns its result for the consistency check. */
    interface Reader {
        Object read(Path file) throws Exception;
    }

    /** Whether a thrown exception is the documented one for {@code file}. */
    interface Documented {
        boolean test(Throwable t, Path file);
    }

    /**
     * A valid input: {@code plain} bytes, and {@code wrap} turning plain bytes into the file (null = the identity);
     * with a wrap, half the mutations are applied before it.
     */
    record Seed(byte[] plain, UnaryOperator<byte[]> wrap) {
        static Seed of(byte[] file) {
            return new Seed(file, null);
        }
    }

    /** Outcome counts of one campaign. */
    record Summary(String name, int inputs, int reads, int rejections, long maxMillis, long maxAllocated, double seconds) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "fuzz %-16s %6d inputs: %6d read, %6d rejected (documented exception), "
                    + "slowest %4d ms, most allocated %6.1f MiB, %.1f s", name, inputs, reads, rejections, maxMillis,
                    maxAllocated / 1048576.0, seconds);
        }
    }

    /** Default iterations per reader and time cap per reader: the default build spends about a minute in all. */
    static final int DEFAULT_ITERATIONS = 1500;
    static final long DEFAULT_SECONDS = 5;
    static final long HANG_BOUND_SECONDS = 20;
    static final long MEMORY_BOUND = 256L << 20;
    private static final int[] INTERESTING = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0x7FFFFFF0, 3073, 4096, 1 << 20, 1 << 30};

    private Fuzz() { }

    static int iterations(int dflt) {
        return Integer.getInteger("engram.fuzz.iterations", dflt);
    }

    static long seed() {
        return Long.getLong("engram.fuzz.seed", 13L);
    }

    /** Mutates {@code in} with 1 to 4 random operations. */
    static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        int ops = 1 + r.nextInt(4);
        for (int k = 0; k < ops; k++) {
            if (b.length == 0) return new byte[] {(byte) r.nextInt()};
            int at = r.nextInt(b.length);
            switch (r.nextInt(9)) {
                case 0, 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 2 -> b[at] = (byte) INTERESTING[r.nextInt(INTERESTING.length)];
                case 3 -> { // an interesting 32-bit value, either byte order
                    int v = INTERESTING[r.nextInt(INTERESTING.length)];
                    boolean be = r.nextBoolean();
                    for (int j = 0; j < 4 && at + j < b.length; j++) b[at + j] = (byte) (be ? v >>> (24 - 8 * j) : v >>> (8 * j));
                }
                case 4 -> b = java.util.Arrays.copyOf(b, at); // truncate
                case 5 -> { // insert random bytes
                    int n = 1 + r.nextInt(16);
                    byte[] x = new byte[b.length + n];
                    System.arraycopy(b, 0, x, 0, at);
                    for (int j = 0; j < n; j++) x[at + j] = (byte) r.nextInt();
                    System.arraycopy(b, at, x, at + n, b.length - at);
                    b = x;
                }
                case 6 -> { // delete a range
                    int n = Math.min(b.length - at, 1 + r.nextInt(64));
                    byte[] x = new byte[b.length - n];
                    System.arraycopy(b, 0, x, 0, at);
                    System.arraycopy(b, at + n, x, at, b.length - at - n);
                    b = x;
                }
                case 7 -> { // duplicate a range
                    int n = Math.min(b.length - at, 1 + r.nextInt(64));
                    byte[] x = new byte[b.length + n];
                    System.arraycopy(b, 0, x, 0, at + n);
                    System.arraycopy(b, at, x, at + n, b.length - at);
                    b = x;
                }
                default -> b[at] = (byte) r.nextInt();
            }
        }
        return b;
    }

    /**
     * Runs {@code iterations} inputs (or until the time cap) and fails listing the first unacceptable outcomes.
     * Each seed is first read unmutated and must pass {@code valid}.
     */
    static Summary run(String name, List<Seed> seeds, Path dir, String suffix, int iterations, Reader reader,
            Predicate<Object> valid, Documented documented) throws Exception {
        long seconds = Long.getLong("engram.fuzz.seconds", DEFAULT_SECONDS);
        long seed = seed() * 1_000_003L + name.hashCode();
        Random r = new Random(seed);
        List<byte[]> wrapped = new ArrayList<>();
        for (Seed s : seeds) wrapped.add(s.wrap() == null ? s.plain() : s.wrap().apply(s.plain()));
        List<String> failures = new ArrayList<>();
        ExecutorService worker = Executors.newSingleThreadExecutor(t -> {
            Thread th = new Thread(t, "fuzz-" + name);
            th.setDaemon(true);
            return th;
        });
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime();
        int inputs = 0, reads = 0, rejections = 0;
        long maxMillis = 0, maxAlloc = 0;
        try {
            for (int i = 0; i < iterations + seeds.size(); i++) {
                if (seconds > 0 && System.nanoTime() - t0 > seconds * 1_000_000_000L) break;
                byte[] input;
                if (i < seeds.size()) {
                    input = wrapped.get(i);
                } else {
                    int s = r.nextInt(seeds.size());
                    Seed sd = seeds.get(s);
                    input = sd.wrap() != null && r.nextBoolean() ? sd.wrap().apply(mutate(sd.plain(), r))
                            : mutate(wrapped.get(s), r);
                }
                Path file = dir.resolve(name + "-" + i + suffix);
                Files.write(file, input);
                inputs++;
                long[] alloc = new long[1];
                long start = System.nanoTime();
                Future<Object> f = worker.submit(() -> {
                    long a0 = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
                    try {
                        return reader.read(file);
                    } finally {
                        alloc[0] = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - a0;
                    }
                });
                String problem = null;
                try {
                    Object result = f.get(HANG_BOUND_SECONDS, TimeUnit.SECONDS);
                    if (!valid.test(result)) problem = "read returned an inconsistent result " + result;
                    else reads++;
                    if (i < seeds.size() && problem != null) problem = "the unmutated seed " + i + " did not read correctly";
                } catch (TimeoutException e) {
                    f.cancel(true);
                    problem = "no result within " + HANG_BOUND_SECONDS + " s (hang)";
                    worker.shutdownNow();
                    worker = Executors.newSingleThreadExecutor();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (i < seeds.size()) problem = "the unmutated seed " + i + " failed: " + c;
                    else if (documented.test(c, file)) rejections++;
                    else problem = "undocumented outcome " + c;
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                maxMillis = Math.max(maxMillis, ms);
                maxAlloc = Math.max(maxAlloc, alloc[0]);
                if (problem == null && alloc[0] > MEMORY_BOUND) problem = "allocated " + alloc[0] + " bytes (bound " + MEMORY_BOUND + ")";
                if (problem != null) {
                    Path keep = Path.of("target", "fuzz-failures");
                    Files.createDirectories(keep);
                    Path saved = keep.resolve(name + "-seed" + seed() + "-" + i + suffix);
                    Files.write(saved, input);
                    failures.add("input " + i + " (saved as " + saved + "): " + problem);
                    if (failures.size() >= 10) break;
                }
                Files.delete(file);
            }
        } finally {
            worker.shutdownNow();
        }
        Summary s = new Summary(name, inputs, reads, rejections, maxMillis, maxAlloc, (System.nanoTime() - t0) / 1e9);
        System.out.println(s);
        Path log = Path.of("target", "fuzz-summary.txt");
        Files.createDirectories(log.getParent());
        Files.writeString(log, s + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        if (!failures.isEmpty()) {
            throw new AssertionError("fuzz " + name + " (engram.fuzz.seed=" + seed() + "): " + failures.size()
                    + " unacceptable outcome(s):\n  " + String.join("\n  ", failures));
        }
        return s;
    }

    /** The documented exception: a {@link DatasetFormatException} whose file starts with the input's path. */
    static boolean formatException(Throwable t, Path file) {
        return t instanceof DatasetFormatException d && d.file().startsWith(file.toString())
                && d.getMessage().contains("at byte offset");
    }
}
