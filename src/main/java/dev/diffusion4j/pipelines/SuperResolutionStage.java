package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;
import java.util.Arrays;

/**
 * One super-resolution stage of a cascade: a U-Net built with {@link UNetConfig#lowResChannels} that turns
 * [N, C, lowRes, lowRes] images into [N, C, R, R] ones (R the U-Net's resolution), sampled with any sampler while the
 * low-resolution image, upsampled bilinearly and noised to a chosen augmentation level, rides along as extra input.
 * <pre>{@code
 * var stage = new SuperResolutionStage(srUnet, sampler, 16);
 * Tensor hi = stage.upscale(baseSamples, 0.1, new Generator(0), StepCallback.none());
 * }</pre>
 */
public final class SuperResolutionStage {
    private final UNet model;
    private final Sampler sampler;
    private final int lowRes;

    public SuperResolutionStage(UNet model, Sampler sampler, int lowRes) {
        UNetConfig c = model.config();
        if (c.lowResChannels() != c.inChannels())
            throw new IllegalArgumentException("not a super-resolution U-Net: it takes " + c.lowResChannels() + " low-resolution channels beside "
                    + c.inChannels() + " image channels");
        if (lowRes < 1 || lowRes >= c.resolution())
            throw new IllegalArgumentException("low resolution " + lowRes + " must be below the stage's output resolution " + c.resolution());
        this.model = model;
        this.sampler = sampler;
        this.lowRes = lowRes;
    }

    /**
     * The U-Net as a {@link Denoiser} of x_t [N, C, R, R] that reads the conditioning's {@link SuperResolution#LOW_RES}
     * (concatenated along channels) and {@link SuperResolution#AUG_LEVEL} (embedded like a timestep).
     */
    public static Denoiser denoiser(UNet model) {
        Denoiser cat = SuperResolution.concatenating((x, t, cond) -> model.forward(x, t, null, cond.get(SuperResolution.AUG_LEVEL)));
        return cat;
    }

    public int lowRes() { return lowRes; }
    public int highRes() { return model.config().resolution(); }
    public int channels() { return model.config().inChannels(); }
    public int steps() { return sampler.steps(); }

    /** The stage's output for low-resolution images in [-1, 1], clamped to [-1, 1]; every sample augmented at {@code augLevel}. */
    public Tensor upscale(Tensor low, double augLevel, Generator gen, StepCallback callback) {
        if (low.rank() != 4 || low.shape(1) != channels() || low.shape(2) != lowRes || low.shape(3) != lowRes)
            throw new IllegalArgumentException("this super-resolution stage upscales [N, " + channels() + ", " + lowRes + ", " + lowRes
                    + "] images, got " + Arrays.toString(low.shape()));
        try (var g = GradMode.off()) {
            int r = highRes();
            Conditioning cond = SuperResolution.condition(low, r, r, augLevel, gen);
            Tensor noise = Tensor.randn(gen, DType.F32, low.device(), low.shape(0), channels(), r, r).to(low.dtype());
            return sampler.sample(denoiser(model), noise, cond, gen, callback == null ? StepCallback.none() : callback).clamp(-1, 1);
        }
    }
}
