package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * F.linearOf under bf16 autocast as a transformer MLP runs it: the hidden activation h is already bf16 (the first
 * Linear's output) while both layers keep f32 weights. Values and gradients equal the composed linear(gelu(h)) in the
 * same scope, and the weights' gradients come back in f32. (Same-type storage is covered by ParityCases.)
 */
@Tag("gpu")
class CudaLinearOfAutocastTest {
    @Test
    void bf16HiddenWithF32WeightsMatchesTheComposedOps() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        int tokens = 3 * 70, d = 96, hidden = 4 * d;
        Tensor x = Tensor.randn(new Generator(11), tokens, d).to(cuda);
        Tensor w1 = Tensor.randn(new Generator(12), hidden, d).mul(0.1), b1 = Tensor.randn(new Generator(13), hidden).mul(0.1);
        Tensor w2 = Tensor.randn(new Generator(14), d, hidden).mul(0.05), b2 = Tensor.randn(new Generator(15), d).mul(0.1);
        Tensor gy = Tensor.randn(new Generator(16), tokens, d).to(DType.BF16).to(cuda);
        Tensor[] fused = run(x, w1, b1, w2, b2, gy, true), composed = run(x, w1, b1, w2, b2, gy, false);
        for (int i = 0; i < fused.length; i++) {
            double e = CudaParityTest.relErr(composed[i].toDoubleArray(), fused[i].toDoubleArray());
            System.out.printf("linearOf autocast bf16 vs composed, tensor %d (%s): %.2e%n", i, fused[i].dtype().id(), e);
            assertTrue(e <= CudaParityTest.BF16_TOL, "tensor " + i + ": " + e);
        }
    }

    /** y, dx, dW1, db1, dW2, db2 of y = linear(gelu(linear(x, W1, b1)), W2, b2) under bf16 autocast. */
    private static Tensor[] run(Tensor x0, Tensor w1c, Tensor b1c, Tensor w2c, Tensor b2c, Tensor gy, boolean fused) {
        Device cuda = x0.device();
        Tensor x = x0.detach().requiresGrad(true);
        Tensor w1 = w1c.to(cuda).requiresGrad(true), b1 = b1c.to(cuda).requiresGrad(true);
        Tensor w2 = w2c.to(cuda).requiresGrad(true), b2 = b2c.to(cuda).requiresGrad(true);
        Tensor y;
        try (var ac = Autocast.bf16()) {
            Tensor h = F.linear(x, w1, b1);
            assertEquals(DType.BF16, h.dtype());
            y = fused ? F.linearOf(UnaryOp.GELU_TANH, h, w2, b2) : F.linear(F.geluTanh(h), w2, b2);
        }
        assertEquals(DType.BF16, y.dtype());
        y.mul(gy).sum().backward();
        for (Tensor w : new Tensor[] {w1, b1, w2, b2}) assertEquals(DType.F32, w.grad().dtype());
        return new Tensor[] {y, x.grad(), w1.grad(), b1.grad(), w2.grad(), b2.grad()};
    }
}
