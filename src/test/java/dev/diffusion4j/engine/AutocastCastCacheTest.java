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
 * without gradient recording, never while recording, and a new scope sees weights written between scopes; parameters
 * cast together (Autocast.castParameters, gradients cast back together) give a training step's gradients bit for bit.
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

    @Test
    void parametersCastTogetherGiveTheGradientsBitForBit() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Tensor w1 = Tensor.randn(new Generator(21), 64, 32).mul(0.2).to(cuda).requiresGrad(true);
        Tensor b1 = Tensor.randn(new Generator(22), 64).to(cuda).requiresGrad(true);
        Tensor w2 = Tensor.randn(new Generator(23), 16, 64).mul(0.2).to(cuda).requiresGrad(true);
        Tensor x = Tensor.randn(new Generator(24), 10, 32).to(cuda);
        java.util.List<Tensor> params = java.util.List.of(w1, b1, w2);
        double[][] one = step(params, x, false), together = step(params, x, true);
        for (int i = 0; i < params.size(); i++) assertArrayEquals(one[i], together[i], 0, "parameter " + i);
    }

    /** The gradients of a two-layer step under bf16 autocast, w2 used twice (its gradient accumulates). */
    private static double[][] step(java.util.List<Tensor> params, Tensor x, boolean together) {
        boolean before = Autocast.setCastParametersTogether(together);
        try {
            for (Tensor p : params) p.zeroGrad();
            Tensor loss;
            try (var ac = Autocast.bf16()) {
                Autocast.castParameters(params);
                Tensor h = F.linear(x, params.get(0), params.get(1), UnaryOp.GELU_TANH);
                loss = F.linear(h, params.get(2), null).to(DType.F32).square().sum().add(F.linear(h.mul(0.5), params.get(2), null).to(DType.F32).sum());
            }
            loss.backward();
            double[][] g = new double[params.size()][];
            for (int i = 0; i < g.length; i++) {
                assertEquals(DType.F32, params.get(i).grad().dtype());
                g[i] = params.get(i).grad().toDoubleArray();
            }
            return g;
        } finally {
            Autocast.setCastParametersTogether(before);
        }
    }
}
