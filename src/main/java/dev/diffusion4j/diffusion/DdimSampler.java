package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * DDIM (Song et al.): x_{prev} = sqrt(ab_prev) x0^ + sqrt(1 - ab_prev - s^2) eps^ + s z with
 * s = eta sqrt((1 - ab_prev)/(1 - ab)) sqrt(1 - ab/ab_prev); eta = 0 is deterministic, eta = 1 matches DDPM with the
 * small variance. Runs over every step of the given (usually respaced) diffusion; a learned variance is ignored.
 * {@link #invert} runs the deterministic map backwards, x_0 to x_T.
 * <pre>{@code
 * DdimSampler ddim = new DdimSampler(diffusion.respaced("ddim50"), 0);
 * Tensor xT = ddim.invert(model, images, null, null);
 * Tensor again = ddim.sample(model, xT, null, gen, null);   // close to images
 * }</pre>
 */
public final class DdimSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final double eta;
    private final Thresholding thresholding;

    public DdimSampler(GaussianDiffusion diffusion, double eta) { this(diffusion, eta, Thresholding.none()); }

    private DdimSampler(GaussianDiffusion diffusion, double eta, Thresholding thresholding) {
        if (eta < 0) throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
        this.diffusion = diffusion;
        this.eta = eta;
        this.thresholding = thresholding;
    }

    public DdimSampler withThresholding(Thresholding t) { return new DdimSampler(diffusion, eta, t); }

    @Override public int steps() { return diffusion.steps(); }

    @Override public Tensor sample(Denoiser model, Tensor noise, Conditioning cond, Generator gen, StepCallback callback) {
        try (var g = GradMode.off()) {
            NoiseSchedule s = diffusion.schedule();
            Tensor x = noise;
            int n = x.shape(0), steps = diffusion.steps();
            for (int i = steps - 1; i >= 0; i--) {
                Tensor t = GaussianDiffusion.timesteps(n, i, x);
                Prediction p = diffusion.pMeanVariance(model, x, t, cond, thresholding);
                double ab = s.alphaBar(i), abPrev = s.alphaBarPrev(i);
                double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
                x = p.predX0().mul(Math.sqrt(abPrev)).add(p.predEps().mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
                if (i > 0 && sigma > 0) x = x.add(x.randnLike(gen).mul(sigma));
                if (callback != null) callback.onStep(new StepCallback.Step(steps - 1 - i, steps, diffusion.modelTimestep(i), x, p.predX0()));
            }
            return x;
        }
    }

    /**
     * Deterministic DDIM inversion: the eta = 0 update run from x_0 up to x_T at the last step of this diffusion. Each
     * step evaluates the model at the state it starts from (the first at the smallest timestep), so sampling the result
     * returns x_0 up to the discretisation error of the step count. No thresholding.
     */
    public Tensor invert(Denoiser model, Tensor x0, Conditioning cond, StepCallback callback) {
        try (var g = GradMode.off()) {
            NoiseSchedule s = diffusion.schedule();
            Tensor x = x0;
            int n = x.shape(0), steps = diffusion.steps();
            for (int j = 0; j < steps; j++) {
                int c = Math.max(j - 1, 0);
                Tensor t = GaussianDiffusion.timesteps(n, c, x);
                Tensor out = diffusion.modelOutput(model, x, t, cond);
                Tensor eps = diffusion.predictEps(out, x, t);
                double abCur = j == 0 ? 1 : s.alphaBar(j - 1), abNext = s.alphaBar(j);
                // x_0 from the current state's own alpha_bar (at j = 0 the state is x_0 itself)
                Tensor predX0 = j == 0 ? x : x.sub(eps.mul(Math.sqrt(1 - abCur))).div(Math.sqrt(abCur));
                x = predX0.mul(Math.sqrt(abNext)).add(eps.mul(Math.sqrt(1 - abNext)));
                if (callback != null) callback.onStep(new StepCallback.Step(j, steps, diffusion.modelTimestep(c), x, predX0));
            }
            return x;
        }
    }
}
