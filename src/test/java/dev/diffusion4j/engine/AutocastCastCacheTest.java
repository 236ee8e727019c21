package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diffusion4j.engine.cuda.CudaBackendFactory;
import dev.diffusion4j.engine.cuda.CudaLibraries;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Autocast's cast cache on CUDA (scripts/gpu-run.sh tests): a parameter's bf16 cast is made once per outermost scope
 * without gradient recording, never while recording, and a new scope sees weights written between scopes.
 */
@Tag("gpu")
class AutocastCastCacheTest {
    @Test
    void parametersAreCastOncePerNoGradScope() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Tensor w = Tensor.randn(new Generator(7), 8, 5).to(cuda).requiresGrad(true);
        Tensor x = Tensor.randn(new Generator(8), 3, 5).to(cuda);
        try (var g = GradMode.off(); var ac = Autocast.bf16()) {
            Tensor c = Autocast.cast(w);
            assertEquals(DType.BF16, c.dtype());
            try (var inner = Autocast.bf16()) { assertSame(c, Autocast.cast(w), "a nested scope shares the outermost one's cache"); }
            assertSame(c, Autocast.cast(w));
            assertNotSame(Autocast.cast(x), Autocast.cast(x), "activations are not parameters: cast each time");
            assertSame(Autocast.castParameter(w, DType.F16), Autocast.castParameter(w, DType.F16), "each type has its own entry");
            assertEquals(DType.F16, Autocast.castParameter(w, DType.F16).dtype());
            assertSame(c, Autocast.castParameter(w, DType.BF16), "a norm's weight cast to its input's type shares the entry");
            Tensor form = Autocast.parameterForm(w, c, "t", t -> t.transpose(0, 1).contiguous());
            assertSame(form, Autocast.parameterForm(w, c, "t", t -> t.transpose(0, 1).contiguous()), "a form of the cast is kept with it");
            assertArrayEquals(c.transpose(0, 1).toDoubleArray(), form.toDoubleArray(), 0);
            Autocast.forgetCasts();
            assertNotSame(form, Autocast.parameterForm(w, Autocast.cast(w), "t", t -> t.transpose(0, 1).contiguous()), "forgetCasts drops forms too");
        }
        try (var ac = Autocast.bf16()) {
            assertNotSame(Autocast.cast(w), Autocast.cast(w), "while recording, each use casts (and differentiates) anew");
        }
        double[] before;
        try (var g = GradMode.off(); var ac = Autocast.bf16()) { before = F.linear(x, w, null).toDoubleArray(); }
        try (var g = GradMode.off()) { w.backend().copyInto(w, w.mul(2)); }
        try (var g = GradMode.off(); var ac = Autocast.bf16()) {
            double[] after = F.linear(x, w, null).toDoubleArray();
            for (int i = 0; i < before.length; i++) before[i] *= 2;   // exact: doubling a bf16 product sum
            assertArrayEquals(before, after, 1e-6, "the closed scope's casts are gone");
        }
    }
}
