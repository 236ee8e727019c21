package dev.diffusion4j.readme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.KarrasSampler;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.train.OptimConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.GradClip;
import org.junit.jupiter.api.Test;

/** The README's "The library" example, statement for statement, so the README cannot drift from the API. */
class ReadmeLibraryExampleTest {
    @Test
    void theReadmeExampleCompilesAndRuns() {
        Generator gen = new Generator(7);
        Tensor images = Tensor.rand(gen, 2, 3, 16, 16).mul(2.0).sub(1.0);

        // --- from README.md, "The library"
        // tensors and autograd, PyTorch style
        Tensor x = Tensor.randn(new Generator(0), 4, 3, 32, 32).requiresGrad(true);
        Tensor y = F.silu(F.groupNorm(x, 1, null, null, 1e-5)).square().mean();
        y.backward();                                   // x.grad() now holds dy/dx
        try (var g = GradMode.off()) { /* inference */ }

        // a U-Net, a diffusion process, a training step
        UNet model = new UNet(ModelPresets.unet("tiny"), new Generator(0));
        GaussianDiffusion diffusion = new GaussianDiffusion(NoiseSchedule.cosine(1000), Parameterization.EPS, VarianceType.FIXED_SMALL);
        AdamW opt = new AdamW(model.parameters(), OptimConfig.defaults().adam());   // diffuse train's AdamW settings
        Tensor loss = diffusion.trainingLoss(new NetworkDenoiser(model), images, null, gen, LossConfig.simple());   // t uniform over its T
        opt.zeroGrad(); loss.backward(); GradClip.clipGradNorm(model, 1.0); opt.step();

        // sampling
        Sampler sampler = new KarrasSampler(diffusion, KarrasSampler.Method.DPMPP_2M, 25);
        Tensor samples = sampler.sample(new NetworkDenoiser(model), new int[] {16, 3, 16, 16}, new Generator(1), StepCallback.none());
        // --- end of the README's code

        assertNotNull(x.grad());
        assertTrue(Double.isFinite(loss.item()));
        assertArrayEquals(new int[] {16, 3, 16, 16}, samples.shape());
    }
}
