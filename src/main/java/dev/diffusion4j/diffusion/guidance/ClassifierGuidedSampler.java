package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StateHook;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Any sampler with classifier guidance applied the way that suits it: an ancestral DDPM sampler moves each step's
 * mean by Sigma s grad log p(y | x_t) ({@link ClassifierGuidance#meanShift()}, Dhariwal and Nichol's Algorithm 1); every
 * other sampler (DDIM, the sigma-grid ones) samples the model with eps moved by -sqrt(1 - alpha_bar) s grad
 * ({@link ClassifierGuidance#guide}, their Algorithm 2). The target labels travel in the conditioning.
 */
public final class ClassifierGuidedSampler implements Sampler {
    private final Sampler inner;
    private final ClassifierGuidance guidance;
    private final NoiseSchedule trainingSchedule;
    private final Parameterization parameterization;

    /** {@code trainingSchedule} and {@code parameterization}: those the model was trained with (the eps form needs them). */
    public ClassifierGuidedSampler(Sampler inner, ClassifierGuidance guidance, NoiseSchedule trainingSchedule, Parameterization parameterization) {
        this.inner = inner;
        this.guidance = guidance;
        this.trainingSchedule = trainingSchedule;
        this.parameterization = parameterization;
    }

    @Override public Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        if (inner instanceof DdpmSampler ddpm) return ddpm.withMeanShift(guidance.meanShift()).sampleFrom(model, x, startStep, cond, gen, callback, hook);
        return inner.sampleFrom(guidance.guide(model, trainingSchedule, parameterization), x, startStep, cond, gen, callback, hook);
    }

    @Override public int steps() { return inner.steps(); }

    @Override public double startAlphaBar(int step) { return inner.startAlphaBar(step); }
}
