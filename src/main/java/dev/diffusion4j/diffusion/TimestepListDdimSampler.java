package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * DDIM over an explicit descending list of training timesteps, stepping as Hugging Face diffusers' DDIMScheduler does
 * (for its folders' schedulers to sample the same way here): the model is called at each listed t of the full training
 * schedule; the step goes to prev = t - T / N (integer division, which for diffusers' "linspace" spacing is not the
 * next listed timestep), with alpha_bar(prev) or, below 0, {@code finalAlphaBar} (1 for set_alpha_to_one, else
 * alpha_bar(0)); x0^ is clipped or thresholded while eps^ stays the model's. {@link DdimSampler} on a respaced diffusion
 * is the same map when prev is always the next listed step and the final alpha_bar is 1.
 */
public final class TimestepListDdimSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final int[] timesteps;
    private final double finalAlphaBar, eta;
    private final Thresholding thresholding;

    /**
     * @param diffusion     the training diffusion (not respaced): its schedule, parameterisation and model timesteps
     * @param timesteps     strictly descending training timesteps in [0, T)
     * @param finalAlphaBar alpha_bar the last step goes to
     */
    public TimestepListDdimSampler(GaussianDiffusion diffusion, int[] timesteps, double finalAlphaBar, double eta, Thresholding thresholding) {
        int t = diffusion.steps();
        if (timesteps.length == 0) throw new IllegalArgumentException("no timesteps to sample with");
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] < 0 || timesteps[i] >= t) throw new IllegalArgumentException("timestep " + timesteps[i] + " outside [0, " + t + ")");
            if (i > 0 && timesteps[i] >= timesteps[i - 1]) throw new IllegalArgumentException("timesteps must be strictly descending");
        }
        if (!(finalAlphaBar > 0 && finalAlphaBar <= 1)) throw new IllegalArgumentException("final alpha_bar must be in (0, 1], got " + finalAlphaBar);
        if (eta < 0) throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
        this.diffusion = diffusion;
        this.timesteps = timesteps.clone();
        this.finalAlphaBar = finalAlphaBar;
        this.eta = eta;
        this.thresholding = thresholding;
    }

    @Override public int steps() { return timesteps.length; }

    @Override public double startAlphaBar(int step) {
        StartStep.check(step, steps());
        return step == steps() ? 1 : diffusion.schedule().alphaBar(timesteps[step]);
    }

    /** alpha_bar after the step from timestep t. */
    private double prevAlphaBar(int t) {
        int prev = t - diffusion.steps() / timesteps.length;
        return prev >= 0 ? diffusion.schedule().alphaBar(prev) : finalAlphaBar;
    }

    @Override public Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        StartStep.check(startStep, steps());
        try (var g = GradMode.off()) {
            NoiseSchedule s = diffusion.schedule();
            int n = x.shape(0);
            for (int i = startStep; i < timesteps.length; i++) {
                Tensor t = GaussianDiffusion.timesteps(n, timesteps[i], x);
                Tensor out = diffusion.modelOutput(model, x, t, cond);
                Tensor eps = diffusion.predictEps(out, x, t);
                Tensor x0 = thresholding.apply(diffusion.predictX0(out, x, t));
                double abPrev = prevAlphaBar(timesteps[i]);
                x = DdimSampler.step(x0, eps, s.alphaBar(timesteps[i]), abPrev, eta, gen);
                if (hook != null) x = hook.apply(x, abPrev, gen);
                if (callback != null) callback.onStep(new StepCallback.Step(i, timesteps.length, timesteps[i], x, x0));
            }
            return x;
        }
    }
}
