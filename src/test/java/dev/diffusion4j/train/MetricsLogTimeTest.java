package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTimeTest {
    @TempDir Path dir;

    @Test
    void appendedLinesCarryTheirWallClockTimeRightAfterTheStep() throws Exception {
        Path f = dir.resolve("metrics.jsonl");
        Instant before = Instant.now().minusMillis(1);
        Map<String, Object> written;
        try (MetricsLog log = new MetricsLog(f)) {
            written = log.append(Map.of("step", 3L, "loss", 0.25));
        }
        Instant after = Instant.now().plusMillis(1);
        String line = Files.readString(f).strip();
        assertTrue(line.matches("\\{\"step\":3,\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z\",\"loss\":0.25}"), line);
        Map<String, Object> row = MetricsLog.read(f).get(0);
        Instant t = MetricsLog.time(row).orElseThrow();
        assertFalse(t.isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)), t + " before " + before);
        assertFalse(t.isAfter(after), t + " after " + after);
        assertEquals(row, written, "append returns the row as written");
    }

    @Test
    void linesOfOlderRunsWithoutTimeStayReadableAndRewindable() throws Exception {
        Path f = dir.resolve("metrics.jsonl");
        Files.writeString(f, "{\"step\": 1, \"loss\": 0.5}\n{\"step\": 2, \"loss\": 0.4}\n");
        try (MetricsLog log = new MetricsLog(f)) {
            log.append(Map.of("step", 3L, "loss", 0.3));
        }
        List<Map<String, Object>> rows = MetricsLog.read(f);
        assertEquals(3, rows.size());
        assertTrue(MetricsLog.time(rows.get(0)).isEmpty(), "an old line has no time");
        assertTrue(MetricsLog.time(rows.get(2)).isPresent());
        assertEquals(1, new MetricsLog(f).rewindTo(2), "the timed line past step 2 is set aside like any other");
        assertEquals(2, MetricsLog.read(f).size());
    }

    @Test
    void aGivenTimeIsKeptAndAGarbledOneReadsAsNone() {
        Instant t = Instant.parse("2026-01-02T03:04:05.678Z");
        assertEquals("2026-01-02T03:04:05.678Z", MetricsLog.stamped(Map.of("step", 1L), t).get("time"));
        assertEquals("x", MetricsLog.stamped(Map.of("step", 1L, "time", "x"), t).get("time"));
        assertTrue(MetricsLog.time(Map.of("step", 1L, "time", "yesterday")).isEmpty());
        assertTrue(MetricsLog.time(Map.of("step", 1L, "time", 5)).isEmpty());
        assertEquals(t, MetricsLog.time(Map.of("time", "2026-01-02T03:04:05.678Z")).orElseThrow());
    }
}
