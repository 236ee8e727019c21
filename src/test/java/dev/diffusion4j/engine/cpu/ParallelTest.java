package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test void coversEveryIndexOnce() {
        for (int n : new int[] {0, 1, 2, 3, 17, 1000, 12345}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
            Parallel.forRange(n, 7, (lo, hi) -> { for (int i = lo; i < hi; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
        }
    }

    @Test void nestedCallsRunInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
        Parallel.forRange(64, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                assertTrue(Parallel.inParallel() || Parallel.threads() == 1);
                Thread outer = Thread.currentThread();
                int row = i;
                Parallel.forRange(64, 1, (a, b) -> {
                    assertEquals(outer, Thread.currentThread());
                    for (int j = a; j < b; j++) hits.incrementAndGet(row * 64 + j);
                });
            }
        });
        for (int i = 0; i < 64 * 64; i++) assertEquals(1, hits.get(i));
        assertTrue(!Parallel.inParallel());
    }

    @Test void failuresReachTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, 1, (lo, hi) -> {
            if (lo <= 50 && 50 < hi) throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
        assertTrue(!Parallel.inParallel());
    }
}
