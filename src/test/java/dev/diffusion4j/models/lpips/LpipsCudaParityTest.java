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

    /**
     * train-autoencoder with the perceptual term on CUDA under bf16 autocast (VGG16's real shapes, random weights, 32x32
     * shapes, 3 steps): it runs, and every logged p_loss is finite and positive.
     */
    @Test
    void anAutoencoderTrainsWithTheTermUnderBf16OnCuda(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        requireCuda();
        java.nio.file.Path vgg = tmp.resolve("vgg16.safetensors"), lins = tmp.resolve("lpips.safetensors"), out = tmp.resolve("ae");
        dev.diffusion4j.nn.StateDicts.save(vgg, LpipsWeightsForTests.vgg(Vgg16Features.WIDTHS, 31), java.util.Map.of());
        dev.diffusion4j.nn.StateDicts.save(lins, LpipsWeightsForTests.lins(Vgg16Features.WIDTHS, 32), java.util.Map.of());
        int rc = dev.diffusion4j.cli.Main.commandLine().execute("train-autoencoder", "--preset", "kl-f4-tiny", "--data", "shapes:16", "--image-size", "32",
                "--out", out.toString(), "--steps", "3", "--batch-size", "4", "--log-every", "1", "--device", "cuda", "--precision", "bf16",
                "--perceptual-weight", "1", "--vgg-weights", vgg.toString(), "--lpips-weights", lins.toString());
        assertTrue(rc == 0, "train-autoencoder exit status " + rc);
        var rows = dev.diffusion4j.train.MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(m -> m.containsKey("p_loss")).toList();
        System.out.println("bf16 CUDA p_loss: " + rows.stream().map(m -> m.get("p_loss")).toList());
        assertTrue(rows.size() == 3 && rows.stream().allMatch(m -> ((Number) m.get("p_loss")).doubleValue() > 0
                && Double.isFinite(((Number) m.get("p_loss")).doubleValue())), rows.toString());
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
