package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * Ancestral sampling (DDPM): x_{t-1} = mu(x_t) + Sigma(x_t)^(1/2) z over every step of the diffusion (respace it
 * first for fewer steps), with the diffusion's parameterisation and variance (fixed or learned). An optional
 * {@link MeanShift} moves each step's mean (classifier guidance); {@link #step} exposes one reverse step for
 * pipelines that walk the chain in their own order (RePaint).
 */
public final class DdpmSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final Thresholding thresholding;
    private final MeanShift meanShift;

    /** The state after one reverse step and the x_0 estimate it used. */
    public record StepResult(Tensor x, Tensor predX0) {}

    public DdpmSampler(GaussianDiffusion diffusion) { this(diffusion, Thresholding.none(), null); }

    private DdpmSampler(GaussianDiffusion diffusion, Thresholding thresholding, MeanShift meanShift) {
        this.diffusion = diffusion;
        this.thresholding = thresholding;
        this.meanShift = meanShift;
    }

    public DdpmSampler withThresholding(Thresholding t) { return new DdpmSampler(diffusion, t, meanShift); }

    /** Adds {@code shift} to the mean of every step (after thresholding), e.g. classifier guidance; null for none. */
    public DdpmSampler withMeanShift(MeanShift shift) { return new DdpmSampler(diffusion, thresholding, shift); }

    public GaussianDiffusion diffusion() { return diffusion; }

    @Override public int steps() { return diffusion.steps(); }

    @Override public double startAlphaBar(int step) { return StartStep.alphaBar(diffusion.schedule(), step); }

    @Override public Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        StartStep.check(startStep, steps());
        try (var g = GradMode.off()) {
            int steps = diffusion.steps();
            for (int i = steps - 1 - startStep; i >= 0; i--) {
                StepResult r = step(model, x, i, cond, gen);
                x = hook == null ? r.x() : hook.apply(r.x(), diffusion.schedule().alphaBarPrev(i), gen);
                if (callback != null) callback.onStep(new StepCallback.Step(steps - 1 - i, steps, diffusion.modelTimestep(i), x, r.predX0()));
            }
            return x;
        }
    }

    /** One reverse step from x at schedule index i to index i - 1 (to the sample at i = 0, where no noise is added). */
    public StepResult step(Denoiser model, Tensor x, int i, Conditioning cond, Generator gen) {
        try (var g = GradMode.off()) {
            Tensor t = GaussianDiffusion.timesteps(x.shape(0), i, x);
            Prediction p = diffusion.pMeanVariance(model, x, t, cond, thresholding);
            Tensor mean = meanShift == null ? p.mean() : p.mean().add(meanShift.apply(x, diffusion.modelTimesteps(t), p, cond));
            Tensor next = i > 0 ? mean.add(Coefs.mul(x.randnLike(gen), p.logVariance().mul(0.5).exp())) : mean;
            return new StepResult(next, p.predX0());
        }
    }
}
