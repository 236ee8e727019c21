package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diffusion4j.nn.Parameter;
import org.junit.jupiter.api.Test;

/**
 * When autocast's cast cache keeps a parameter's cast, run on the CPU through castParameter (the cast itself is what
 * the GPU's bf16 scope does; AutocastCastCacheTest covers that on CUDA): only inside a bf16 scope, without gradient
 * recording, for leaves that require grad; never inside an off() scope; dropped when weights are written in place.
 */
class AutocastCastCacheRulesTest {
    @Test
    void castsAreKeptOnlyWhereTheyCannotGoStale() {
        Parameter p = new Parameter("w", Tensor.randn(new Generator(3), 4, 3));
        Tensor w = p.data();
        try (var g = GradMode.off(); var ac = Autocast.bf16()) {
            Tensor c = Autocast.castParameter(w, DType.F64);
            assertSame(c, Autocast.castParameter(w, DType.F64), "a no-grad bf16 scope keeps the cast");
            try (var off = Autocast.off()) {
                assertNotSame(Autocast.castParameter(w, DType.F64), Autocast.castParameter(w, DType.F64), "an off() scope caches nothing");
            }
            p.copyFrom(Tensor.ones(4, 3));   // new weights written in place inside the scope
            Tensor fresh = Autocast.castParameter(w, DType.F64);
            assertNotSame(c, fresh);
            assertArrayEquals(Tensor.ones(4, 3).toDoubleArray(), fresh.toDoubleArray(), 0.0, "the cast sees the new weights");
            Autocast.forgetCasts();
            assertNotSame(fresh, Autocast.castParameter(w, DType.F64));
        }
        try (var off = Autocast.off(); var g = GradMode.off()) {
            assertNotSame(Autocast.castParameter(w, DType.F64), Autocast.castParameter(w, DType.F64), "an outermost off() scope has no cache");
        }
        try (var ac = Autocast.bf16()) {
            assertNotSame(Autocast.castParameter(w, DType.F64), Autocast.castParameter(w, DType.F64), "recording gradients: cast anew");
        }
        try (var g = GradMode.off()) {
            assertNotSame(Autocast.castParameter(w, DType.F64), Autocast.castParameter(w, DType.F64), "no scope: nothing kept");
        }
    }
}
