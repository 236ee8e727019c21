package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test void javaIs25OrNewer() { assertEquals(true, Runtime.version().feature() >= 25); }
}
