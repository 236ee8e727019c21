package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code diffuse bench train} on the CPU: one JSON line, warm-up by count and by time. */
class BenchTrainCliTest {
    private static JsonNode bench(String... extra) throws Exception {
        String[] base = {"bench", "train", "--preset", "tiny", "--batch", "2", "--steps", "1", "--sample-batch", "2", "--sample-iters", "1",
            "--device", "cpu"};
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra)).toArray(String[]::new);
        CliRun r = CliRun.of(args).succeeded();
        return new ObjectMapper().readTree(r.out().strip());
    }

    @Test
    void warmupCountAloneWhenSecondsAreZero() throws Exception {
        JsonNode j = bench("--warmup", "2", "--warmup-seconds", "0");
        assertEquals(2, j.get("warmup_steps").asInt());
        assertEquals("tiny", j.get("cfg").asText());
        assertTrue(j.get("train_img_per_s").asDouble() > 0 && j.get("sample_img_nfe_per_s").asDouble() > 0, j.toString());
    }

    @Test
    void warmupGoesOnUntilItsSecondsHavePassed() throws Exception {
        long t0 = System.nanoTime();
        JsonNode j = bench("--warmup", "1", "--warmup-seconds", "1.5");
        // a tiny batch-2 step takes milliseconds: 1.5 s of warm-up is many steps, and the call lasts at least 2 x 1.5 s
        assertTrue(j.get("warmup_steps").asInt() > 1, j.toString());
        assertTrue(System.nanoTime() - t0 >= 3.0e9, "warm-up of steps and of forwards each last 1.5 s");
    }
}
