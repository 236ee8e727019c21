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
 *       the forward process and re-denoises ({@link RepaintSchedule}), which lets the unknown region harmonise with
 *       the known one; the bias shrinks with more resamplings, at about that many times the cost;</li>
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
     * RePaint: ancestral replacement sampling that walks the chain in {@link RepaintSchedule}'s order - after every
     * {@code jumpLength} steps down it jumps back up {@code jumpLength} levels with the forward process q(x_t | x_{t-1}),
     * {@code resamplings} - 1 times, and re-denoises; 1 resampling is replacement with DDPM. Costs
     * {@link RepaintSchedule#modelCalls} model calls; the callback sees each of them.
     */
    public Tensor repaint(DdpmSampler sampler, Denoiser model, int jumpLength, int resamplings, Conditioning cond, Generator gen, StepCallback callback) {
        NoiseSchedule s = sampler.diffusion().schedule();
        int steps = s.steps();
        int[] walk = RepaintSchedule.states(steps, jumpLength, resamplings);
        int total = (int) RepaintSchedule.modelCalls(steps, jumpLength, resamplings), done = 0;
        try (var g = GradMode.off()) {
            Tensor x = replaceKnown(original.randnLike(gen), s.alphaBar(walk[0]), gen);
            for (int k = 1; k < walk.length; k++) {
                int from = walk[k - 1], to = walk[k];
                if (to < from) {
                    DdpmSampler.StepResult step = sampler.step(model, x, from, cond, gen);
                    x = replaceKnown(step.x(), s.alphaBarPrev(from), gen);
                    if (callback != null) callback.onStep(new StepCallback.Step(done++, total, sampler.diffusion().modelTimestep(from), x, step.predX0()));
                } else {
                    // one forward step up: q(x_to | x_from) with alpha = alpha_bar(to) / alpha_bar(from)
                    double alpha = s.alphaBar(to) / s.alphaBar(from);
                    x = x.mul(Math.sqrt(alpha)).add(x.randnLike(gen).mul(Math.sqrt(1 - alpha)));
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
