package dev.diffusion4j.models.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.GradientParity;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The CLIP text model's forward and gradients on CUDA against the CPU (f32, TF32 off), and bf16 autocast near f32. */
@Tag("gpu")
class ClipTextCudaParityTest {
    static final ClipTextConfig CONFIG = new ClipTextConfig(300, 64, 256, 2, 4, 16, "quick_gelu", 1e-5, 64, 299, 298, 299, 0, 0, 0.02, 1);

    static void requireCuda() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("ClipTextCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
    }

    static Tensor ids() {
        long[] v = new long[3 * 16];
        Generator g = new Generator(9);
        Tensor r = Tensor.randint(g, 0, 298, Device.CPU, 3, 16);
        long[] raw = r.toLongArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 16; j++) v[i * 16 + j] = j == 0 ? 298 : j >= 5 + 4 * i ? 299 : raw[i * 16 + j];
        return Tensor.ofLongs(v, 3, 16);
    }

    /** Output and parameter gradients of sum(w * last_hidden_state) + sum(pooled). */
    static ClipTextModel step(Device device, Precision precision) {
        ClipTextModel m = new ClipTextModel(CONFIG, new Generator(1));
        m.to(device);
        precision.applyMathMode();
        ClipTextModel.Output out;
        try (var ac = precision.autocast()) {
            out = m.run(ids().to(device));
        }
        Tensor w = Tensor.randn(new Generator(2), 3, 16, 64).to(device);
        out.lastHiddenState().to(DType.F32).mul(w).sum().add(out.pooled().to(DType.F32).sum()).backward();
        return m;
    }

    static double worstGradRel(ClipTextModel a, ClipTextModel b) {
        return GradientParity.worst(a.namedParameters(), b.namedParameters()).relL2();
    }

    @Test
    void forwardAndGradientsMatchTheCpu() {
        requireCuda();
        ClipTextModel cpu = step(Device.CPU, Precision.FP32), gpu = step(Device.cuda(0), Precision.FP32);
        double[] out = ClipTorchParity.diff(gpu.run(ids().to(Device.cuda(0))).lastHiddenState(), cpu.run(ids()).lastHiddenState());
        double grads = worstGradRel(gpu, cpu);
        System.out.printf("CLIP text CUDA vs CPU: output max rel %.2e, worst gradient rel L2 %.2e%n", out[0], grads);
        assertTrue(out[0] < 1e-4 && grads < 1e-3, "output " + out[0] + ", gradients " + grads);
    }

    @Test
    void bf16AutocastStaysCloseToF32() {
        requireCuda();
        ClipTextModel f32 = step(Device.cuda(0), Precision.FP32), bf16 = step(Device.cuda(0), Precision.BF16);
        double grads = worstGradRel(bf16, f32);
        System.out.printf("CLIP text bf16 vs f32 on CUDA: worst gradient rel L2 %.2e%n", grads);
        assertTrue(grads < 1e-1, "gradients " + grads);
    }
}
