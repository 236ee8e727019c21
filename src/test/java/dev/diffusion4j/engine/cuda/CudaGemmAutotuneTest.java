package dev.diffusion4j.engine.cuda;

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
 * cuBLASLt plans that time the heuristic's candidates on their first use (-Ddiffusion4j.cuda.gemmAutotune): a bf16 MLP
 * (fc1 with the GELU_AUX_BIAS epilogue, fc2 with BIAS, the backward's DGELU and plain products) and a plain bf16 matmul,
 * trained once on the GPU with timing on (choices an earlier run kept on disk ignored), against the same computed in f32
 * on the CPU. The timing runs write only the outputs the real call overwrites: any candidate left behind would show as
 * a wrong value or gradient.
 */
@Tag("gpu")
class CudaGemmAutotuneTest {
    @Test
    void timedPlansComputeWhatTheCpuComputes() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        // shapes no other test uses, so that the plans are new here and made with timing on
        Tensor x = Tensor.randn(new Generator(51), 3, 70, 160), gy = Tensor.randn(new Generator(56), 3, 70, 160);
        Tensor w1 = Tensor.randn(new Generator(52), 4 * 160, 160).mul(0.08), b1 = Tensor.randn(new Generator(53), 4 * 160).mul(0.1);
        Tensor w2 = Tensor.randn(new Generator(54), 160, 4 * 160).mul(0.04), b2 = Tensor.randn(new Generator(55), 160).mul(0.1);
        Tensor a = Tensor.randn(new Generator(57), 200, 136), b = Tensor.randn(new Generator(58), 136, 264);
        boolean before = CublasLt.setAutotune(true), retime = CublasLt.setRetimeKept(true);
        long[] before0 = CublasLt.autotuned();
        Tensor[] gpu;
        try {
            gpu = run(new Tensor[] {x, w1, b1, w2, b2, a, b}, gy, cuda, true);
        } finally {
            CublasLt.setAutotune(before);
            CublasLt.setRetimeKept(retime);
        }
        long[] after = CublasLt.autotuned();
        long timed = after[0] - before0[0];
        System.out.printf("gemm autotune: %d plans timed, %d so far not the heuristic's first%n", timed, after[1]);
        assertTrue(timed >= 4, "expected the MLP's and the matmul's products to time their candidates: " + timed);
        Tensor[] cpu = run(new Tensor[] {x, w1, b1, w2, b2, a, b}, gy, Device.CPU, false);
        String[] names = {"y", "dx", "dW1", "db1", "dW2", "db2", "a@b"};
        for (int i = 0; i < cpu.length; i++) {
            double e = CudaParityTest.relErr(cpu[i].toDoubleArray(), gpu[i].to(DType.F32).toDoubleArray());
            System.out.printf("bf16 with timed cuBLASLt plans vs f32 CPU, %s: %.2e%n", names[i], e);
            assertTrue(e <= CudaParityTest.BF16_TOL, names[i] + ": " + e);
        }
    }

    /** y = linearOfLinear(x, W1, b1, GELU_tanh, W2, b2), its gradients for gy, and a @ b; under bf16 autocast if asked. */
    private static Tensor[] run(Tensor[] p0, Tensor gy, Device device, boolean bf16) {
        Tensor[] p = new Tensor[p0.length];
        for (int i = 0; i < p.length; i++) p[i] = p0[i].to(device).detach().requiresGrad(i < 5);
        Tensor y, ab;
        try (var ac = bf16 ? Autocast.bf16() : null) {
            y = F.linearOfLinear(p[0], p[1], p[2], UnaryOp.GELU_TANH, p[3], p[4]);
            ab = p[5].to(bf16 ? DType.BF16 : DType.F32).matmul(p[6].to(bf16 ? DType.BF16 : DType.F32));
        }
        y.mul(gy.to(device).to(y.dtype())).sum().backward();
        return new Tensor[] {y, p[0].grad(), p[1].grad(), p[2].grad(), p[3].grad(), p[4].grad(), ab};
    }
}
