package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * Ancestral sampling (DDPM): x_{t-1} = mu(x_t) + Sigma(x_t)^(1/2) z over every step of the diffusion (respace it
 * first for fewer steps), with the diffusion's parameterisation and variance (fixed or learned).
 */
public final class DdpmSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final Thresholding thresholding;

    public DdpmSampler(GaussianDiffusion diffusion) { this(diffusion, Thresholding.none()); }

    private DdpmSampler(GaussianDiffusion diffusion, Thresholding thresholding) {
        this.diffusion = diffusion;
        this.thresholding = thresholding;
    }

    public DdpmSampler withThresholding(Thresholding t) { return new DdpmSampler(diffusion, t); }

    @Override public int steps() { return diffusion.steps(); }

    @Override public Tensor sample(Denoiser model, Tensor noise, Conditioning cond, Generator gen, StepCallback callback) {
        try (var g = GradMode.off()) {
            Tensor x = noise;
            int n = x.shape(0), steps = diffusion.steps();
            for (int i = steps - 1; i >= 0; i--) {
                Tensor t = GaussianDiffusion.timesteps(n, i, x);
                Prediction p = diffusion.pMeanVariance(model, x, t, cond, thresholding);
                // no noise on the last step: x_0 is the mean
                x = i > 0 ? p.mean().add(Coefs.mul(x.randnLike(gen), p.logVariance().mul(0.5).exp())) : p.mean();
                if (callback != null) callback.onStep(new StepCallback.Step(steps - 1 - i, steps, diffusion.modelTimestep(i), x, p.predX0()));
            }
            return x;
        }
    }
}
