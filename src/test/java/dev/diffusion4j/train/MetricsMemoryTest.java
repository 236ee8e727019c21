package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Metrics rows carry the GPU allocator's counts under the keys the dashboard charts; the CPU backend counts nothing. */
class MetricsMemoryTest {
    @Test
    void memoryKeysComeFromTheBackendsCounts() {
        Map<String, Object> row = new LinkedHashMap<>();
        Trainer.putMemory(row, new MemoryUsage(3L << 20, 5L << 20, 8L << 20));
        assertEquals(List.of("gpu_mem_bytes", "gpu_mem_peak_bytes", "gpu_mem_reserved_bytes"), List.copyOf(row.keySet()));
        assertEquals(5L << 20, row.get("gpu_mem_peak_bytes"));

        Map<String, Object> cpu = new LinkedHashMap<>();
        Trainer.putMemory(cpu, Backends.memoryUsage(dev.diffusion4j.engine.Device.CPU));
        assertNull(Backends.memoryUsage(dev.diffusion4j.engine.Device.CPU));
        assertEquals(Map.of(), cpu);
    }
}
