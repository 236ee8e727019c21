package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.UNetConfig;

/** Draws images in [-1, 1] from a trained denoiser with the configured sampler, in batches, without autograd. */
public final class Sampling {
    private Sampling() {}

    /** count images; cond applies to every batch (null for unconditional); callback may be null. */
    public static Tensor sample(Denoiser model, GaussianDiffusion diffusion, SampleConfig sc, UNetConfig mc, Device device, int count,
                                Conditioning cond, StepCallback callback) {
        var sampler = sc.create(diffusion);
        Generator gen = new Generator(sc.seed());
        try (var g = GradMode.off()) {
            int[] shape = {count, mc.inChannels(), mc.resolution(), mc.resolution()};
            Tensor noise = Tensor.randn(gen, DType.F32, device, shape);
            Tensor x = sampler.sample(model, noise, cond, gen, callback == null ? StepCallback.none() : callback);
            return x.clamp(-1, 1);
        }
    }
}
