package dev.engram.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pool's contract: fixed chunk boundaries, every index once, failures reported, no deadlock when nested or shared. */
class CpuParallelTest {
    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restore() {
        CpuParallel.setThreads(savedThreads);
    }

    /** Records the chunks a loop ran, keyed by their start. */
    private static int[][] chunksOf(int n, int chunks) {
        ConcurrentHashMap<Integer, Integer> seen = new ConcurrentHashMap<>();
        CpuParallel.forChunks(n, chunks, (from, to) -> assertEquals(null, seen.put(from, to), "chunk ran twice"));
        return seen.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .map(e -> new int[] {e.getKey(), e.getValue()}).toArray(int[][]::new);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void chunkBoundariesDependOnlyOnSizeAndChunkCount(int threads) {
        CpuParallel.setThreads(threads);
        for (int n : new int[] {1, 2, 7, 64, 1000, 1001}) {
            for (int chunks : new int[] {1, 2, 3, 8, 17}) {
                int c = Math.min(chunks, n);
                int[][] expected = new int[c][];
                for (int i = 0; i < c; i++) expected[i] = new int[] {(int) ((long) n * i / c), (int) ((long) n * (i + 1) / c)};
                for (int rep = 0; rep < 20; rep++) {
                    assertArrayEquals(expected, chunksOf(n, chunks), "n=" + n + " chunks=" + chunks + " threads=" + threads);
                }
            }
        }
    }

    @Test
    void forRangeCoversEveryIndexOnceAndUsesSeveralThreads() {
        CpuParallel.setThreads(3);
        int n = 3_000;
        AtomicInteger[] hits = new AtomicInteger[n];
        for (int i = 0; i < n; i++) hits[i] = new AtomicInteger();
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        for (int rep = 0; rep < 200; rep++) {
            CpuParallel.forChunks(n, 30, (from, to) -> {
                threads.add(Thread.currentThread());
                for (int i = from; i < to; i++) hits[i].incrementAndGet();
                busyMicros(20);
            });
        }
        for (int i = 0; i < n; i++) assertEquals(200, hits[i].get(), "index " + i);
        assertTrue(threads.size() >= 2, "chunks ran on " + threads.size() + " thread(s)");
    }

    @Test
    void firstFailingChunkIsRethrownAfterAllChunksFinished() {
        CpuParallel.setThreads(2);
        AtomicInteger finished = new AtomicInteger();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> CpuParallel.forChunks(8, 8, (from, to) -> {
            busyMicros(200);
            finished.incrementAndGet();
            if (from == 5 || from == 3) throw new IllegalStateException("chunk " + from);
        }));
        assertEquals("chunk 3", thrown.getMessage());
        assertEquals(8, finished.get());
        Error error = new AssertionError("boom");
        assertSame(error, assertThrows(AssertionError.class, () -> CpuParallel.forChunks(4, 4, (from, to) -> {
            if (from == 2) throw error;
        })));
        // the pool still works afterwards
        int[][] after = chunksOf(4, 4);
        assertEquals(4, after.length);
    }

    @Test
    void nestedLoopsRunTheirChunksInline() {
        CpuParallel.setThreads(2);
        int[] out = new int[64];
        CpuParallel.forChunks(4, 4, (f, t) -> {
            for (int outer = f; outer < t; outer++) {
                int base = outer * 16;
                List<int[]> inner = new ArrayList<>();
                CpuParallel.forChunks(16, 4, (a, b) -> {
                    synchronized (inner) {
                        inner.add(new int[] {a, b});
                    }
                    for (int i = a; i < b; i++) out[base + i] = base + i;
                });
                assertEquals(4, inner.size());
            }
        });
        for (int i = 0; i < out.length; i++) assertEquals(i, out[i]);
    }

    @Test
    void inlineLoopsAlsoRunEveryChunkAndReportTheFirstFailure() {
        CpuParallel.setThreads(2);
        CpuParallel.forChunks(2, 2, (f, t) -> { // nested in a pool loop: runs inline on the caller or a worker
            AtomicInteger ran = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuParallel.forChunks(6, 6, (a, b) -> {
                ran.incrementAndGet();
                if (a == 4 || a == 2) throw new IllegalStateException("chunk " + a);
            }));
            assertEquals("chunk 2", e.getMessage());
            assertEquals(6, ran.get());
        });
    }

    @Test
    void aBodyThatLeavesItsThreadInterruptedDoesNotBreakLaterLoops() {
        CpuParallel.setThreads(2);
        CpuParallel.forChunks(8, 8, (a, b) -> Thread.currentThread().interrupt());
        Thread.interrupted(); // the caller ran chunks too
        int[] out = new int[1000];
        for (int rep = 0; rep < 50; rep++) {
            CpuParallel.forChunks(out.length, 10, (a, b) -> {
                for (int i = a; i < b; i++) out[i]++;
            });
        }
        for (int v : out) assertEquals(50, v);
    }

    @Test
    void concurrentCallersFromSeveralThreadsAllComplete() throws Exception {
        CpuParallel.setThreads(2);
        int callers = 4, loops = 300;
        long[] sums = new long[callers];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < callers; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int l = 0; l < loops; l++) {
                        long[] part = new long[4];
                        CpuParallel.forChunks(400, 4, (from, to) -> {
                            long s = 0;
                            for (int i = from; i < to; i++) s += i;
                            part[from / 100] = s;
                        });
                        sums[id] += part[0] + part[1] + part[2] + part[3];
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (Thread th : ts) th.join(60_000);
        assertEquals(List.of(), errors);
        for (int t = 0; t < callers; t++) assertEquals((long) loops * (399L * 400 / 2), sums[t], "caller " + t);
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> CpuParallel.setThreads(0));
        CpuParallel.forChunks(0, 4, (a, b) -> {
            throw new AssertionError("empty range must not run");
        });
    }

    private static void busyMicros(long us) {
        long end = System.nanoTime() + us * 1000;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }
}
