package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * SDEdit (Meng et al.): image-to-image by noising an input part of the way and denoising it back. Strength s in [0, 1]
 * runs the last round(s * steps) steps of any sampler, starting from the input noised by q(x_t | x_0) to the level
 * those steps start at. s = 0 returns the input; a strength that runs every step (s = 1) starts from unit noise drawn
 * from {@code gen}, exactly as {@link Sampler#sample} does, so it is plain sampling with the same seed (the input is
 * not used: at the top of the schedule it would add only sqrt(alpha_bar_T) of itself, a few thousandths or nothing).
 * <pre>{@code
 * Tensor edited = ImageToImage.sdedit(Samplers.create("ddim", d, 50, 0, true), model, sketch, 0.6, null, gen, null);
 * }</pre>
 */
public final class ImageToImage {
    private ImageToImage() {}

    /** The sampler step SDEdit starts at for a strength: steps - round(strength * steps). */
    public static int startStep(Sampler sampler, double strength) {
        if (!(strength >= 0 && strength <= 1)) throw new IllegalArgumentException("SDEdit strength must be in [0, 1], got " + strength);
        return sampler.steps() - (int) Math.round(strength * sampler.steps());
    }

    /** The sampler steps SDEdit runs at a strength: round(strength * steps). */
    public static int stepsRun(Sampler sampler, double strength) { return sampler.steps() - startStep(sampler, strength); }

    public static Tensor sdedit(Sampler sampler, Denoiser model, Tensor input, double strength, Conditioning cond, Generator gen, StepCallback callback) {
        int k = startStep(sampler, strength);
        if (k == sampler.steps()) return input;   // no steps: the input itself, bit for bit
        try (var g = GradMode.off()) {
            if (k == 0) return sampler.sample(model, input.randnLike(gen), cond, gen, callback);
            double ab = sampler.startAlphaBar(k);
            Tensor xt = input.mul(Math.sqrt(ab)).add(input.randnLike(gen).mul(Math.sqrt(1 - ab)));
            return sampler.sampleFrom(model, xt, k, cond, gen, callback, null);
        }
    }
}
