package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * DDIM (Song et al.): x_{prev} = sqrt(ab_prev) x0^ + sqrt(1 - ab_prev - s^2) eps^ + s z with
 * s = eta sqrt((1 - ab_prev)/(1 - ab)) sqrt(1 - ab/ab_prev); eta = 0 is deterministic, eta = 1 matches DDPM with the
 * small variance. Runs over every step of the given (usually respaced) diffusion; a learned variance is ignored.
 * {@link #invert} runs the deterministic map backwards, x_0 to x_T (optionally as an exact inverse by fixed-point iteration).
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
    private final int inversionIterations;

    public DdimSampler(GaussianDiffusion diffusion, double eta) { this(diffusion, eta, Thresholding.none(), 0); }

    private DdimSampler(GaussianDiffusion diffusion, double eta, Thresholding thresholding, int inversionIterations) {
        if (eta < 0) throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
        if (inversionIterations < 0) throw new IllegalArgumentException("inversion iterations must be >= 0, got " + inversionIterations);
        this.diffusion = diffusion;
        this.eta = eta;
        this.thresholding = thresholding;
        this.inversionIterations = inversionIterations;
    }

    public DdimSampler withThresholding(Thresholding t) { return new DdimSampler(diffusion, eta, t, inversionIterations); }

    /**
     * Fixed-point refinements per inversion step (0: classic DDIM inversion). Each one re-evaluates the model at the
     * step's end so the step becomes the exact inverse of the sampling step; the round trip error then falls
     * geometrically instead of only with the step count. Costs one more model call per step and iteration. A step
     * into SNR ~ 0 (a schedule's very last step) is ill-conditioned and does not converge: invert over a spacing that
     * stops short of it, such as "ddimN".
     */
    public DdimSampler withInversionIterations(int k) { return new DdimSampler(diffusion, eta, thresholding, k); }

    @Override public int steps() { return diffusion.steps(); }

    @Override public double startAlphaBar(int step) { return StartStep.alphaBar(diffusion.schedule(), step); }

    @Override public Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        StartStep.check(startStep, steps());
        try (var g = GradMode.off()) {
            NoiseSchedule s = diffusion.schedule();
            int n = x.shape(0), steps = diffusion.steps();
            for (int i = steps - 1 - startStep; i >= 0; i--) {
                Tensor t = GaussianDiffusion.timesteps(n, i, x);
                Prediction p = diffusion.pMeanVariance(model, x, t, cond, thresholding);
                double abPrev = s.alphaBarPrev(i);
                x = step(p.predX0(), p.predEps(), s.alphaBar(i), abPrev, eta, gen);   // the first step's abPrev is 1: no noise
                if (hook != null) x = hook.apply(x, abPrev, gen);
                if (callback != null) callback.onStep(new StepCallback.Step(steps - 1 - i, steps, diffusion.modelTimestep(i), x, p.predX0()));
            }
            return x;
        }
    }

    /**
     * One DDIM step from the estimates x0^ and eps^ at alpha_bar {@code ab} to {@code abPrev}:
     * sqrt(abPrev) x0^ + sqrt(1 - abPrev - s^2) eps^ + s z, with s = eta sqrt((1 - abPrev)/(1 - ab)) sqrt(1 - ab/abPrev).
     */
    static Tensor step(Tensor x0, Tensor eps, double ab, double abPrev, double eta, Generator gen) {
        double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
        Tensor x = x0.mul(Math.sqrt(abPrev)).add(eps.mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
        return sigma > 0 ? x.add(x.randnLike(gen).mul(sigma)) : x;
    }

    /**
     * Deterministic DDIM inversion: the eta = 0 map run from x_0 up to x_T at the last step of this diffusion. Classic
     * inversion evaluates the model at the state each step starts from (the first at the smallest timestep), so sampling
     * the result returns x_0 up to a first-order error in the step size; see {@link #withInversionIterations} for an
     * exact inverse. No thresholding.
     */
    public Tensor invert(Denoiser model, Tensor x0, Conditioning cond, StepCallback callback) {
        try (var g = GradMode.off()) {
            NoiseSchedule s = diffusion.schedule();
            Tensor x = x0;
            int n = x.shape(0), steps = diffusion.steps();
            for (int j = 0; j < steps; j++) {
                int c = Math.max(j - 1, 0);
                Tensor t = GaussianDiffusion.timesteps(n, c, x);
                Tensor eps = diffusion.predictEps(diffusion.modelOutput(model, x, t, cond), x, t);
                // state j-1 (alpha_bar 1 for the data itself) to state j: x_j = (a_j/a_c) x + (b_j - a_j b_c / a_c) eps,
                // the sampling step solved for its start point
                double abCur = j == 0 ? 1 : s.alphaBar(j - 1), abNext = s.alphaBar(j);
                double ac = Math.sqrt(abCur), bc = Math.sqrt(1 - abCur), an = Math.sqrt(abNext), bn = Math.sqrt(1 - abNext);
                double cx = an / ac, ce = bn - an * bc / ac;
                Tensor next = x.mul(cx).add(eps.mul(ce));
                if (inversionIterations > 0) {
                    Tensor tj = GaussianDiffusion.timesteps(n, j, x);
                    for (int it = 0; it < inversionIterations; it++) {
                        // the sampling step reads eps at its start (x_j, t_j): iterate x_j = f(eps(x_j))
                        eps = diffusion.predictEps(diffusion.modelOutput(model, next, tj, cond), next, tj);
                        next = x.mul(cx).add(eps.mul(ce));
                    }
                }
                Tensor predX0 = x.sub(eps.mul(bc)).div(ac);
                x = next;
                if (callback != null) callback.onStep(new StepCallback.Step(j, steps, diffusion.modelTimestep(c), x, predX0));
            }
            return x;
        }
    }
}
