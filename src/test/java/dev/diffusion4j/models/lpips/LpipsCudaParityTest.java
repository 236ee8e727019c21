package dev.diffusion4j.models.lpips;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.TensorDiff;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** LPIPS with VGG16's real widths (random weights) on CUDA against the CPU: distances and the input gradient. */
@Tag("gpu")
class LpipsCudaParityTest {
    static void requireCuda() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("LpipsCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
    }

    /**
     * f32 (TF32 off): relative L2 of the distances under 1e-4, of the input gradient under 1e-2 (a ReLU input within
     * rounding of 0 may open on one device only; see LpipsTorchParity); bf16 autocast: 5e-2 and 1e-1.
     */
    @Test
    void distanceAndGradientMatchTheCpu() {
        requireCuda();
        Precision.FP32.applyMathMode();
        Lpips cpu = LpipsWeightsForTests.random(Vgg16Features.WIDTHS, 21, DType.F32);
        Lpips gpu = cpu.to(Device.cuda(0), DType.F32);
        Tensor x = GradCheck.rand(22, -1, 1, 2, 3, 48, 40).to(DType.F32), y = x.add(GradCheck.randn(23, 2, 3, 48, 40).to(DType.F32).mul(0.3)).clamp(-1, 1);
        Tensor[] ref = run(cpu, x, y, false);
        Tensor[] f32 = run(gpu, x.to(Device.cuda(0)), y.to(Device.cuda(0)), false);
        Tensor[] bf16 = run(gpu, x.to(Device.cuda(0)), y.to(Device.cuda(0)), true);
        double[] d32 = {rel(f32[0], ref[0]), rel(f32[1], ref[1])}, d16 = {rel(bf16[0], ref[0]), rel(bf16[1], ref[1])};
        String s = String.format(Locale.ROOT, "lpips cuda vs cpu: f32 distance %.2e, gradient %.2e; bf16 distance %.2e, gradient %.2e", d32[0], d32[1], d16[0], d16[1]);
        System.out.println(s);
        assertTrue(d32[0] < 1e-4 && d32[1] < 1e-2 && d16[0] < 5e-2 && d16[1] < 1e-1, s);
    }

    private static Tensor[] run(Lpips lpips, Tensor x, Tensor y, boolean bf16) {
        Tensor yy = y.detach().requiresGrad(true), d;
        try (var ac = bf16 ? Autocast.bf16() : null) {
            d = lpips.distanceToFixed(x, yy);
        }
        d.to(DType.F32).sum().backward();
        return new Tensor[] {d, yy.grad()};
    }

    private static double rel(Tensor a, Tensor r) { return TensorDiff.errors(a, r)[1]; }
}
