package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * Euler, Euler ancestral, Heun and DPM-Solver++ (first order, or second-order multistep with the midpoint or Heun
 * correction) over an explicit descending list of noise levels and the model timesteps that go with them: how
 * Hugging Face diffusers' EulerDiscrete, EulerAncestralDiscrete, HeunDiscrete and DPMSolverMultistep schedulers step,
 * so that a scheduler_config.json samples the same way here ({@code interop.diffusers.SchedulerConfig} builds the
 * lists). {@link KarrasSampler} is the same family on its own sigma grid.
 *
 * <p>The state is integrated in the variance-exploding variable x = x_t / sqrt(alpha_bar), sigma = sqrt((1 - ab)/ab);
 * the model is called at x / sqrt(1 + sigma^2) and at the listed timestep (an i64 tensor when it is a whole number,
 * else a floating one), and its x0 estimate D goes through {@code thresholding}. Heun's corrector calls the model at
 * the next level with the next listed timestep; the last step (and a step to sigma 0) is first order. The result is
 * what the scheduler's loop ends with: for a last level above 0 (diffusers' final_sigmas_type sigma_min) Euler and Heun
 * end in the variance-exploding variable, DPM-Solver++ in the variance-preserving one.
 */
public final class SigmaListSampler implements Sampler {
    public enum Method { EULER, EULER_ANCESTRAL, HEUN, DPMPP_1, DPMPP_2M_MIDPOINT, DPMPP_2M_HEUN }

    /** Where the ancestral steps' noise comes from (a recorded sequence in parity checks). */
    @FunctionalInterface
    public interface NoiseSource {
        Tensor next(Tensor like, Generator gen);

        static NoiseSource fromGenerator() { return (like, gen) -> like.randnLike(gen); }
    }

    private final GaussianDiffusion diffusion;
    private final Method method;
    private final double[] sigmas, timesteps;
    private final double initNoiseScale;
    private final boolean firstOrderLast;
    private final Thresholding thresholding;
    private final NoiseSource noise;

    /**
     * @param sigmas         n + 1 descending noise levels, the last possibly 0
     * @param timesteps      the n model timesteps, one per level but the last
     * @param initNoiseScale what unit noise is multiplied by to give the starting x (diffusers' init_noise_sigma in the
     *                       variance-exploding variable: sqrt(1 + sigma_0^2) for a variance-preserving start)
     * @param firstOrderLast DPM-Solver++(2M): take the last step first order (diffusers' lower_order_final / euler_at_final)
     */
    public SigmaListSampler(GaussianDiffusion diffusion, Method method, double[] sigmas, double[] timesteps, double initNoiseScale,
                            boolean firstOrderLast, Thresholding thresholding) {
        this(diffusion, method, sigmas, timesteps, initNoiseScale, firstOrderLast, thresholding, NoiseSource.fromGenerator());
    }

    private SigmaListSampler(GaussianDiffusion diffusion, Method method, double[] sigmas, double[] timesteps, double initNoiseScale,
                             boolean firstOrderLast, Thresholding thresholding, NoiseSource noise) {
        if (diffusion.isRespaced()) throw new IllegalArgumentException("pass the training diffusion, not a respaced one");
        int n = timesteps.length;
        if (n < 1 || sigmas.length != n + 1)
            throw new IllegalArgumentException("need n >= 1 timesteps and n + 1 sigmas, got " + n + " and " + sigmas.length);
        for (int i = 0; i < n; i++) {
            if (!(sigmas[i] > 0 && sigmas[i + 1] >= 0 && sigmas[i + 1] <= sigmas[i]))
                throw new IllegalArgumentException("sigmas must be positive and non-increasing (the last may be 0), got " + java.util.Arrays.toString(sigmas));
            if (!(timesteps[i] >= 0 && timesteps[i] <= diffusion.steps() - 1))
                throw new IllegalArgumentException("timestep " + timesteps[i] + " outside [0, " + (diffusion.steps() - 1) + "]");
        }
        if (method == Method.HEUN && sigmas[n] != 0)
            throw new IllegalArgumentException("Heun's last step goes to sigma 0 (its corrector needs the next level's timestep), got " + sigmas[n]);
        if (!(initNoiseScale > 0)) throw new IllegalArgumentException("initial noise scale must be positive, got " + initNoiseScale);
        this.diffusion = diffusion;
        this.method = method;
        this.sigmas = sigmas.clone();
        this.timesteps = timesteps.clone();
        this.initNoiseScale = initNoiseScale;
        this.firstOrderLast = firstOrderLast;
        this.thresholding = thresholding;
        this.noise = noise;
    }

    public SigmaListSampler withNoiseSource(NoiseSource n) {
        return new SigmaListSampler(diffusion, method, sigmas, timesteps, initNoiseScale, firstOrderLast, thresholding, n);
    }

    @Override public int steps() { return timesteps.length; }

    public double[] sigmas() { return sigmas.clone(); }

    public double[] timesteps() { return timesteps.clone(); }

    @Override public double startAlphaBar(int step) {
        StartStep.check(step, steps());
        double s = sigmas[step];
        return 1 / (1 + s * s);
    }

    /** D(x, sigma): the thresholded x_0 estimate of the model called at x / sqrt(1 + sigma^2) and timestep t. */
    private Tensor denoise(Denoiser model, Tensor x, double sigma, double t, Conditioning cond) {
        double a = 1 / Math.sqrt(1 + sigma * sigma);
        Tensor xt = x.mul(a);
        int n = x.shape(0);
        Tensor tt = t == Math.rint(t) ? GaussianDiffusion.timesteps(n, (int) t, x) : Tensor.full(t, x.dtype() == DType.F64 ? DType.F64 : DType.F32, x.device(), n);
        Tensor out = diffusion.splitOutput(model.apply(xt, tt, cond), xt)[0];
        Tensor x0 = diffusion.parameterization().toX0(out, xt, xt.scalarLike(a), xt.scalarLike(sigma * a));
        return thresholding.apply(x0);
    }

    /**
     * Runs steps {@code startStep}..n-1. From step 0 the start is unit noise times the initial noise scale (as diffusers
     * starts); from a later step, a variance-preserving state at {@link #startAlphaBar}.
     */
    @Override public Tensor sampleFrom(Denoiser model, Tensor start, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        StartStep.check(startStep, steps());
        try (var g = GradMode.off()) {
            int n = steps();
            Tensor x = start.mul(startStep == 0 ? initNoiseScale : Math.sqrt(1 + sigmas[startStep] * sigmas[startStep]));
            Tensor previous = null;   // DPM-Solver++(2M): the last step's x0 estimate; each run starts first order
            for (int i = startStep; i < n; i++) {
                double s = sigmas[i], sNext = sigmas[i + 1];
                Tensor d = denoise(model, x, s, timesteps[i], cond);
                switch (method) {
                    case EULER -> x = euler(x, d, s, sNext);
                    case EULER_ANCESTRAL -> {
                        double up = Math.sqrt(sNext * sNext * (s * s - sNext * sNext) / (s * s));
                        double down = Math.sqrt(sNext * sNext - up * up);
                        x = euler(x, d, s, down).add(noise.next(x, gen).mul(up));
                    }
                    case HEUN -> {
                        Tensor slope = x.sub(d).div(s);
                        Tensor predicted = x.add(slope.mul(sNext - s));
                        if (sNext == 0) {
                            x = predicted;
                        } else {
                            Tensor slope2 = predicted.sub(denoise(model, predicted, sNext, timesteps[i + 1], cond)).div(sNext);
                            x = x.add(slope.add(slope2).mul(0.5 * (sNext - s)));
                        }
                    }
                    default -> {
                        boolean second = method != Method.DPMPP_1 && previous != null && sNext > 0 && !(firstOrderLast && i == n - 1);
                        x = second ? dpmSecondOrder(x, d, previous, sigmas[i - 1], s, sNext) : d.add(x.sub(d).mul(sNext / s));
                        previous = d;
                    }
                }
                if (hook != null) {
                    double scale = Math.sqrt(1 + sNext * sNext);
                    x = hook.apply(x.div(scale), 1 / (1 + sNext * sNext), gen).mul(scale);
                }
                if (callback != null) callback.onStep(new StepCallback.Step(i, n, timesteps[i], x.div(Math.sqrt(1 + sNext * sNext)), d));
            }
            // as diffusers returns it: Euler and Heun in the variance-exploding variable, DPM-Solver++ variance-preserving
            // (the two differ only when the last level is not 0, final_sigmas_type sigma_min)
            double last = sigmas[n];
            return isDpm() ? x.div(Math.sqrt(1 + last * last)) : x;
        }
    }

    private boolean isDpm() { return method == Method.DPMPP_1 || method == Method.DPMPP_2M_MIDPOINT || method == Method.DPMPP_2M_HEUN; }

    private static Tensor euler(Tensor x, Tensor d, double s, double sNext) { return x.add(x.sub(d).div(s).mul(sNext - s)); }

    /**
     * DPM-Solver++(2M) in lambda = -log sigma: x' = (s'/s) x - expm1(-h) D0 plus the correction from
     * D1 = (D0 - Dprev) / r, r = h_last / h: midpoint -expm1(-h) D1 / 2, Heun (expm1(-h)/h + 1) D1.
     */
    private Tensor dpmSecondOrder(Tensor x, Tensor d0, Tensor dPrev, double sPrev, double s, double sNext) {
        double h = Math.log(s) - Math.log(sNext), r = (Math.log(sPrev) - Math.log(s)) / h, em = Math.expm1(-h);
        Tensor d1 = d0.sub(dPrev).div(r);
        Tensor y = x.mul(sNext / s).sub(d0.mul(em));
        return method == Method.DPMPP_2M_MIDPOINT ? y.sub(d1.mul(0.5 * em)) : y.add(d1.mul(em / h + 1));
    }
}
