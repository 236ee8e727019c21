package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The one-pass gated residual as DiT runs it under bf16 autocast: an f32 residual stream x [B, L, C], a bf16 gate that is
 * a chunk of adaLN's [B, 6C] output and a bf16 branch, against the composed ops on the same device (whose product is
 * rounded to bf16 before the f32 add): f32 output, values and gradients within bf16's tolerance, the forward and the
 * backward (gated_add_bwd) each one pass. (Same-type inputs are covered by ParityCases.)
 */
@Tag("gpu")
class CudaGatedResidualTest {
    @Test
    void f32StreamWithBf16GateAndBranchMatchesTheComposedOps() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        for (int c : new int[] {96, 6}) check(cuda, 4, 64, c);   // C = 6: the unvectorised kernel
    }

    private static void check(Device cuda, int b, int l, int c) {
        Tensor x = Tensor.randn(new Generator(31), b, l, c).to(cuda);
        Tensor mods = Tensor.randn(new Generator(32), b, 6 * c).to(DType.BF16).to(cuda);
        Tensor branch = Tensor.randn(new Generator(33), b, l, c).to(DType.BF16).to(cuda);
        Tensor gy = Tensor.randn(new Generator(34), b, l, c).to(cuda);
        long before = CudaElementwise.gatedResiduals(), backwardsBefore = CudaElementwise.gatedResidualBackwards();
        Tensor[] fused = run(x, mods, branch, gy, true);
        assertTrue(CudaElementwise.gatedResiduals() > before, "the gated residual did not run as one pass");
        assertTrue(CudaElementwise.gatedResidualBackwards() > backwardsBefore, "its backward did not run as one pass");
        Tensor[] composed = run(x, mods, branch, gy, false);
        assertEquals(DType.F32, fused[0].dtype());
        for (int i = 0; i < fused.length; i++) {
            assertEquals(composed[i].dtype(), fused[i].dtype(), "tensor " + i);
            double e = CudaParityTest.relErr(composed[i].toDoubleArray(), fused[i].toDoubleArray());
            System.out.printf("gated residual f32 + bf16 * bf16, C %d, one pass vs composed, tensor %d: %.2e%n", c, i, e);
            assertTrue(e <= CudaParityTest.BF16_TOL, "C " + c + ", tensor " + i + ": " + e);
        }
    }

    /** y, dx, dmods, dbranch of y = x + mods[:, 2C:3C] * branch, fused or composed. */
    private static Tensor[] run(Tensor x0, Tensor mods0, Tensor branch0, Tensor gy, boolean fused) {
        Tensor x = x0.detach().requiresGrad(true), mods = mods0.detach().requiresGrad(true), branch = branch0.detach().requiresGrad(true);
        int c = x.shape(2);
        Tensor gate = mods.slice(1, 2 * c, 3 * c);
        Tensor y = fused ? F.gatedResidual(x, gate, branch) : x.add(gate.unsqueeze(1).mul(branch));
        y.mul(gy).sum().backward();
        return new Tensor[] {y, x.grad(), mods.grad(), branch.grad()};
    }
}
