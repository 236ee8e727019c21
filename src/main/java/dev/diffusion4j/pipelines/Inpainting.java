package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StateHook;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.diffusion.guidance.ReconstructionGuidance;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * Inpainting: regenerate the unknown part of {@code original} (mask 0) consistently with the known part (mask 1;
 * values in between blend). Three methods, from cheapest to most faithful:
 * <ul>
 *   <li>{@link #sample}: replacement - after every step of any sampler the known region is overwritten by a fresh
 *       draw of q(x_t | original) at the step's noise level (Song et al., Lugmayr et al.). The known region comes out
 *       exact, but the unknown region only sees a noisy copy of it and is biased towards the unconditional
 *       distribution (for correlated Gaussian data the bias is a large fraction of the conditional shift);</li>
 *   <li>{@link #repaint}: RePaint's resampling - the chain repeatedly jumps back up {@code jumpLength} levels with
 *       the forward process and re-denoises, which lets the unknown region harmonise with the known one; the bias
 *       shrinks with more resamplings, at that many times the cost;</li>
 *   <li>{@link #guided}: reconstruction guidance ({@link ReconstructionGuidance}), exact for Gaussian data with the
 *       exact posterior variance; the known region is pasted at the end.</li>
 * </ul>
 */
public final class Inpainting {
    private final Tensor original, mask;

    /** @param mask 1 where {@code original} is kept, 0 where it is generated; broadcastable to the original's shape */
    public Inpainting(Tensor original, Tensor mask) {
        this.original = original;
        this.mask = mask.to(original.dtype()).to(original.device());
    }

    /** x with its known region replaced by sqrt(ab) original + sqrt(1 - ab) z (the original itself at ab = 1). */
    public Tensor replaceKnown(Tensor x, double alphaBar, Generator gen) {
        Tensor known = alphaBar == 1 ? original
                : original.mul(Math.sqrt(alphaBar)).add(x.randnLike(gen).mul(Math.sqrt(1 - alphaBar)));
        return known.mul(mask).add(x.mul(mask.rsub(1.0)));
    }

    /** The replacement as a sampler hook. */
    public StateHook replacement() { return this::replaceKnown; }

    /** Replacement inpainting with any sampler, from unit noise. */
    public Tensor sample(Sampler sampler, Denoiser model, Conditioning cond, Generator gen, StepCallback callback) {
        try (var g = GradMode.off()) {
            Tensor x = replaceKnown(original.randnLike(gen), sampler.startAlphaBar(0), gen);
            return sampler.sampleFrom(model, x, 0, cond, gen, callback, replacement());
        }
    }

    /**
     * RePaint: ancestral replacement sampling where every chunk of {@code jumpLength} steps is walked down
     * {@code resamplings} times, jumping back up with q(x_t | x_{t - jumpLength}) in between; 1 resampling is
     * {@link #sample}. Costs steps * resamplings model calls.
     */
    public Tensor repaint(DdpmSampler sampler, Denoiser model, int jumpLength, int resamplings, Conditioning cond, Generator gen, StepCallback callback) {
        if (jumpLength < 1 || resamplings < 1) throw new IllegalArgumentException("RePaint needs jumpLength >= 1 and resamplings >= 1, got " + jumpLength + ", " + resamplings);
        NoiseSchedule s = sampler.diffusion().schedule();
        int steps = s.steps(), total = steps * resamplings, done = 0;
        try (var g = GradMode.off()) {
            Tensor x = replaceKnown(original.randnLike(gen), s.alphaBar(steps - 1), gen);
            for (int top = steps - 1; top >= 0; top -= jumpLength) {
                int bottom = Math.max(top - jumpLength + 1, 0);
                for (int r = 0; r < resamplings; r++) {
                    for (int i = top; i >= bottom; i--) {
                        DdpmSampler.StepResult step = sampler.step(model, x, i, cond, gen);
                        x = replaceKnown(step.x(), s.alphaBarPrev(i), gen);
                        if (callback != null) callback.onStep(new StepCallback.Step(done++, total, sampler.diffusion().modelTimestep(i), x, step.predX0()));
                    }
                    if (r < resamplings - 1) {
                        // back up from level bottom - 1 to level top in one forward jump
                        double ratio = s.alphaBar(top) / s.alphaBarPrev(bottom);
                        x = x.mul(Math.sqrt(ratio)).add(x.randnLike(gen).mul(Math.sqrt(1 - ratio)));
                    }
                }
            }
            return x;
        }
    }

    /**
     * Reconstruction-guided inpainting with any sampler (see {@link ReconstructionGuidance}); the known region is pasted
     * into the result. {@code trainingSchedule} and {@code parameterization} are the model's.
     */
    public Tensor guided(Sampler sampler, Denoiser model, NoiseSchedule trainingSchedule, Parameterization parameterization,
                         DoubleUnaryOperator posteriorVariance, double scale, Conditioning cond, Generator gen, StepCallback callback) {
        Denoiser guided = new ReconstructionGuidance(model, trainingSchedule, parameterization, original, mask, posteriorVariance, scale);
        try (var g = GradMode.off()) {
            Tensor x = sampler.sample(guided, original.randnLike(gen), cond, gen, callback);
            return replaceKnown(x, 1, gen);
        }
    }
}
