package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.nn.Parameter;
import org.junit.jupiter.api.Test;

/**
 * What a graph recording sees of autocast's cast cache (on the CPU through castParameter, as AutocastCastCacheRulesTest):
 * cached casts are served, new ones are made but not kept (their values exist only once the graph replays), the casts
 * a graph read are listed so it can keep them alive, and the generation moves whenever the cache is made, dropped or
 * cleared, so a graph that read old casts is recorded anew.
 */
class AutocastGraphCastsTest {
    @Test
    void aRecordingServesCachedCastsAndKeepsNoNewOnes() {
        Parameter a = new Parameter("a", Tensor.randn(new Generator(1), 3, 2));
        Parameter b = new Parameter("b", Tensor.randn(new Generator(2), 2, 2));
        long before = Autocast.generation();
        try (var g = GradMode.off(); var ac = Autocast.bf16()) {
            long inScope = Autocast.generation();
            assertNotEquals(before, inScope, "a new outermost scope starts a generation");
            Tensor ca = Autocast.castParameter(a.data(), DType.F64);
            Autocast.withoutNewCasts(() -> {
                assertSame(ca, Autocast.castParameter(a.data(), DType.F64), "a cached cast is served");
                assertNotSame(Autocast.castParameter(b.data(), DType.F64), Autocast.castParameter(b.data(), DType.F64), "a new cast is not kept");
                return null;
            });
            assertEquals(1, Autocast.cachedCasts().size());
            assertSame(ca, Autocast.cachedCasts().get(0));
            assertEquals(inScope, Autocast.generation(), "reading the cache keeps the generation");
            Tensor cb = Autocast.castParameter(b.data(), DType.F64);
            assertSame(cb, Autocast.castParameter(b.data(), DType.F64), "outside a recording new casts are kept again");
            Autocast.forgetCasts();
            assertTrue(Autocast.generation() > inScope, "forgetting casts moves the generation");
            assertEquals(0, Autocast.cachedCasts().size());
        }
        long closed = Autocast.generation();
        try (var g = GradMode.off(); var ac = Autocast.bf16()) {
            assertTrue(Autocast.generation() > closed);
        }
    }
}
