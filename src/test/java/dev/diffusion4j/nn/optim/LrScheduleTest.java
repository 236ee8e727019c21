package dev.diffusion4j.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void constant() {
        LrSchedule s = LrSchedule.constant(2e-4);
        assertEquals(2e-4, s.lr(0));
        assertEquals(2e-4, s.lr(1_000_000));
    }

    @Test
    void linearWarmupRampsFromTheFirstStep() {
        LrSchedule s = LrSchedule.linearWarmup(1e-3, 4);
        assertEquals(0.25e-3, s.lr(0), 1e-18);
        assertEquals(0.5e-3, s.lr(1), 1e-18);
        assertEquals(0.75e-3, s.lr(2), 1e-18);
        assertEquals(1e-3, s.lr(3));
        assertEquals(1e-3, s.lr(100));
        assertEquals(1e-3, LrSchedule.linearWarmup(1e-3, 0).lr(0));
        assertThrows(IllegalArgumentException.class, () -> s.lr(-1));
    }

    @Test
    void cosineWithWarmup() {
        LrSchedule s = LrSchedule.cosine(1.0, 2, 12, 0.1);
        assertEquals(0.5, s.lr(0), 1e-15);
        assertEquals(1.0, s.lr(1), 1e-15);
        assertEquals(1.0, s.lr(2), 1e-15);                       // decay starts at progress 0
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.3)), s.lr(5), 1e-15);
        assertEquals(0.55, s.lr(7), 1e-15);                      // halfway: the mean of peak and floor
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.9)), s.lr(11), 1e-15);
        assertEquals(0.1, s.lr(12), 1e-15);
        assertEquals(0.1, s.lr(500), 1e-15);
        for (int i = 2; i < 20; i++) assertTrue(s.lr(i + 1) <= s.lr(i), "monotone after warmup");
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1, 5, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1, 0, 4, 2));
    }
}
