package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.Locale;

/**
 * Samplers on Karras et al.'s sigma grid (k-diffusion's family): Euler, Heun, Euler ancestral and DPM-Solver++(2M).
 * They integrate in the variance-exploding variable x = x_t / sqrt(alpha_bar) with sigma = sqrt((1 - ab)/ab), using the
 * denoiser D(x, sigma) = x_0 estimate of the model called at x_t = x / sqrt(1 + sigma^2) and at the continuous
 * timestep whose interpolated log sigma equals log sigma (or the nearest discrete one, {@link #withQuantizedTimesteps}).
 * The grid is sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho, then 0; rho = 7, and the sigma
 * range defaults to the training schedule's. A learned variance is ignored.
 * <pre>{@code
 * Sampler s = new KarrasSampler(diffusion, KarrasSampler.Method.DPMPP_2M, 25);
 * }</pre>
 */
public final class KarrasSampler implements Sampler {
    public enum Method {
        EULER, EULER_ANCESTRAL, HEUN, DPMPP_2M;

        public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        public static Method parse(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Method m : values()) if (m.id().equals(v)) return m;
            if (v.equals("dpm++2m") || v.equals("dpmpp2m")) return DPMPP_2M;
            throw new IllegalArgumentException("unknown sampler method '" + s + "': use euler, euler-ancestral, heun or dpmpp-2m");
        }
    }

    private final GaussianDiffusion diffusion;
    private final Method method;
    private final int steps;
    private final double rho, sigmaMin, sigmaMax, eta;
    private final boolean quantize;
    private final Thresholding thresholding;

    public KarrasSampler(GaussianDiffusion diffusion, Method method, int steps) {
        this(diffusion, method, steps, 7, Double.NaN, Double.NaN, 1, false, Thresholding.none());
    }

    private KarrasSampler(GaussianDiffusion diffusion, Method method, int steps, double rho, double sigmaMin, double sigmaMax,
                          double eta, boolean quantize, Thresholding thresholding) {
        if (diffusion.isRespaced())
            throw new IllegalArgumentException("sigma-grid samplers choose their own steps: pass the diffusion before respacing");
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (!(rho > 0)) throw new IllegalArgumentException("rho must be positive, got " + rho);
        if (eta < 0) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        this.diffusion = diffusion;
        this.method = method;
        this.steps = steps;
        this.rho = rho;
        double[] sig = diffusion.schedule().sigmas();
        this.sigmaMin = Double.isNaN(sigmaMin) ? sig[0] : sigmaMin;
        this.sigmaMax = Double.isNaN(sigmaMax) ? sig[sig.length - 1] : sigmaMax;
        if (!(this.sigmaMin > 0 && this.sigmaMax >= this.sigmaMin))
            throw new IllegalArgumentException("need 0 < sigma_min <= sigma_max, got " + this.sigmaMin + ", " + this.sigmaMax);
        this.eta = eta;
        this.quantize = quantize;
        this.thresholding = thresholding;
    }

    public KarrasSampler withRho(double r) { return new KarrasSampler(diffusion, method, steps, r, sigmaMin, sigmaMax, eta, quantize, thresholding); }
    public KarrasSampler withSigmaRange(double min, double max) { return new KarrasSampler(diffusion, method, steps, rho, min, max, eta, quantize, thresholding); }
    /** Noise scale of the ancestral steps (1 = full ancestral, 0 = plain Euler). */
    public KarrasSampler withEta(double e) { return new KarrasSampler(diffusion, method, steps, rho, sigmaMin, sigmaMax, e, quantize, thresholding); }
    /** Call the model at the nearest discrete timestep instead of the interpolated continuous one. */
    public KarrasSampler withQuantizedTimesteps(boolean q) { return new KarrasSampler(diffusion, method, steps, rho, sigmaMin, sigmaMax, eta, q, thresholding); }
    public KarrasSampler withThresholding(Thresholding t) { return new KarrasSampler(diffusion, method, steps, rho, sigmaMin, sigmaMax, eta, quantize, t); }

    @Override public int steps() { return steps; }

    /** The n + 1 noise levels, descending, ending in 0. */
    public double[] sigmas() {
        double[] s = new double[steps + 1];
        double lo = Math.pow(sigmaMin, 1 / rho), hi = Math.pow(sigmaMax, 1 / rho);
        for (int i = 0; i < steps; i++) {
            double ramp = steps == 1 ? 0 : (double) i / (steps - 1);
            s[i] = Math.pow(hi + ramp * (lo - hi), rho);
        }
        return s;
    }

    /** D(x, sigma): the model's x_0 estimate for the variance-exploding state x at noise level sigma. */
    public Tensor denoise(Denoiser model, Tensor x, double sigma, Conditioning cond) {
        double ab = 1 / (1 + sigma * sigma);
        Tensor xt = x.mul(Math.sqrt(ab));
        NoiseSchedule s = diffusion.schedule();
        int n = x.shape(0);
        Tensor t;
        if (quantize) {
            t = GaussianDiffusion.timesteps(n, s.nearestTimestep(sigma), x);
        } else {
            double tc = s.timestepAt(sigma);
            t = Tensor.full(tc, x.dtype(), x.device(), n);
        }
        Tensor out = diffusion.splitOutput(model.apply(xt, t, cond), xt)[0];
        Tensor x0 = diffusion.parameterization().toX0(out, xt, xt.scalarLike(Math.sqrt(ab)), xt.scalarLike(Math.sqrt(1 - ab)));
        return thresholding.apply(x0);
    }

    private double modelTimestep(double sigma) {
        NoiseSchedule s = diffusion.schedule();
        return quantize ? s.nearestTimestep(sigma) : s.timestepAt(sigma);
    }

    @Override public double startAlphaBar(int step) {
        StartStep.check(step, steps);
        double s = sigmas()[step];
        return 1 / (1 + s * s);
    }

    @Override public Tensor sampleFrom(Denoiser model, Tensor start, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        StartStep.check(startStep, steps);
        try (var g = GradMode.off()) {
            double[] sig = sigmas();
            // a VP state at alpha_bar = 1/(1 + sigma^2) is x / sqrt(ab) = x sqrt(1 + sigma^2) in VE scale
            Tensor x = start.mul(Math.sqrt(1 + sig[startStep] * sig[startStep]));
            Tensor oldDenoised = null;   // DPM++(2M) starts first order wherever it starts
            for (int i = startStep; i < steps; i++) {
                double s = sig[i], sNext = sig[i + 1];
                Tensor denoised = denoise(model, x, s, cond);
                switch (method) {
                    case EULER -> x = eulerStep(x, denoised, s, sNext);
                    case HEUN -> {
                        Tensor d = x.sub(denoised).div(s);
                        Tensor x2 = x.add(d.mul(sNext - s));
                        if (sNext == 0) {
                            x = x2;
                        } else {
                            // trapezoid: average the slopes at both ends
                            Tensor d2 = x2.sub(denoise(model, x2, sNext, cond)).div(sNext);
                            x = x.add(d.add(d2).mul(0.5 * (sNext - s)));
                        }
                    }
                    case EULER_ANCESTRAL -> {
                        double up = Math.min(sNext, eta * Math.sqrt(sNext * sNext * (s * s - sNext * sNext) / (s * s)));
                        double down = Math.sqrt(sNext * sNext - up * up);
                        x = eulerStep(x, denoised, s, down);
                        if (sNext > 0 && up > 0) x = x.add(x.randnLike(gen).mul(up));
                    }
                    case DPMPP_2M -> {
                        // in lambda = -log sigma; second order from the previous denoised once it exists
                        double h = Math.log(s) - (sNext == 0 ? Double.NEGATIVE_INFINITY : Math.log(sNext));
                        Tensor dd = denoised;
                        if (oldDenoised != null && sNext > 0) {
                            double hLast = Math.log(sig[i - 1]) - Math.log(s);
                            double r = hLast / h;
                            dd = denoised.mul(1 + 1 / (2 * r)).sub(oldDenoised.mul(1 / (2 * r)));
                        }
                        // x <- (sNext/s) x - expm1(-h) D; at sNext = 0 this is D
                        x = sNext == 0 ? dd : x.mul(sNext / s).sub(dd.mul(Math.expm1(-h)));
                        oldDenoised = denoised;
                    }
                }
                if (hook != null) {
                    double scale = Math.sqrt(1 + sNext * sNext);
                    x = hook.apply(x.div(scale), 1 / (1 + sNext * sNext), gen).mul(scale);
                }
                if (callback != null)
                    callback.onStep(new StepCallback.Step(i, steps, modelTimestep(s), x.div(Math.sqrt(1 + sNext * sNext)), denoised));
            }
            return x;
        }
    }

    private static Tensor eulerStep(Tensor x, Tensor denoised, double s, double sNext) {
        Tensor d = x.sub(denoised).div(s);
        return x.add(d.mul(sNext - s));
    }
}
