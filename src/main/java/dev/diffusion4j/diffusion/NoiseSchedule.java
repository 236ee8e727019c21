package dev.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Locale;

/**
 * A discrete variance schedule beta_1..beta_T and every quantity derived from it, precomputed in f64.
 *
 * <p>Arrays are indexed by the library's timestep index {@code i = t - 1} in {@code [0, T)} (the paper's t is 1-based;
 * improved-diffusion indexes the same way as here). Example:
 * <pre>{@code
 * NoiseSchedule s = NoiseSchedule.cosine(1000).rescaledToZeroTerminalSnr();
 * double ab = s.alphaBar(999);   // 0 after the rescale
 * }</pre>
 */
public final class NoiseSchedule {
    /** The named schedule shapes; {@link #parse} accepts the CLI spellings. */
    public enum Kind {
        LINEAR, COSINE, SIGMOID, SCALED_LINEAR;

        public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        public static Kind parse(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Kind k : values()) if (k.id().equals(v)) return k;
            throw new IllegalArgumentException("unknown schedule '" + s + "': use linear, cosine, sigmoid or scaled-linear");
        }
    }

    /** Largest beta any named schedule produces (cosine's clip; also keeps scaled schedules at small T valid). */
    public static final double MAX_BETA = 0.999;
    /**
     * Floor on alpha_bar when a finite sigma is needed (samplers on sigma grids, t from sigma): a zero-terminal-SNR
     * schedule has alpha_bar_T = 0 and sigma_T = infinity. 2^-24 is the value diffusers uses for the same purpose.
     */
    public static final double MIN_ALPHA_BAR_FOR_SIGMA = 0x1p-24;

    final double[] betas, alphas, alphaBar, alphaBarPrev, alphaBarNext;
    final double[] sqrtAlphaBar, sqrtOneMinusAlphaBar, logOneMinusAlphaBar, sqrtRecipAlphaBar, sqrtRecipM1AlphaBar;
    final double[] posteriorVariance, posteriorLogVarianceClipped, posteriorMeanCoefX0, posteriorMeanCoefXt;
    final double[] snr, logSigmas;

    private NoiseSchedule(double[] betas) {
        int n = betas.length;
        if (n == 0) throw new IllegalArgumentException("a schedule needs at least one step");
        for (int i = 0; i < n; i++) {
            double b = betas[i];
            if (!(b > 0 && b <= 1)) throw new IllegalArgumentException("beta[" + i + "] = " + b + " is outside (0, 1]");
        }
        this.betas = betas.clone();
        alphas = new double[n]; alphaBar = new double[n]; alphaBarPrev = new double[n]; alphaBarNext = new double[n];
        sqrtAlphaBar = new double[n]; sqrtOneMinusAlphaBar = new double[n]; logOneMinusAlphaBar = new double[n];
        sqrtRecipAlphaBar = new double[n]; sqrtRecipM1AlphaBar = new double[n];
        posteriorVariance = new double[n]; posteriorLogVarianceClipped = new double[n];
        posteriorMeanCoefX0 = new double[n]; posteriorMeanCoefXt = new double[n];
        snr = new double[n]; logSigmas = new double[n];
        double prod = 1;
        for (int i = 0; i < n; i++) {
            alphas[i] = 1 - betas[i];
            alphaBarPrev[i] = prod;
            prod *= alphas[i];
            alphaBar[i] = prod;
        }
        for (int i = 0; i < n; i++) {
            double ab = alphaBar[i], abPrev = alphaBarPrev[i];
            alphaBarNext[i] = i + 1 < n ? alphaBar[i + 1] : 0.0;
            sqrtAlphaBar[i] = Math.sqrt(ab);
            sqrtOneMinusAlphaBar[i] = Math.sqrt(1 - ab);
            logOneMinusAlphaBar[i] = Math.log1p(-ab);
            sqrtRecipAlphaBar[i] = Math.sqrt(1 / ab);
            sqrtRecipM1AlphaBar[i] = Math.sqrt(1 / ab - 1);
            // q(x_{t-1} | x_t, x_0): variance beta~_t and mean coef1 * x_0 + coef2 * x_t
            posteriorVariance[i] = betas[i] * (1 - abPrev) / (1 - ab);
            posteriorMeanCoefX0[i] = betas[i] * Math.sqrt(abPrev) / (1 - ab);
            posteriorMeanCoefXt[i] = (1 - abPrev) * Math.sqrt(alphas[i]) / (1 - ab);
            snr[i] = ab / (1 - ab);
            double abs = Math.max(ab, MIN_ALPHA_BAR_FOR_SIGMA);
            logSigmas[i] = 0.5 * Math.log((1 - abs) / abs);
        }
        // beta~_1 = 0: its log is clipped to beta~_2's, as improved-diffusion does (with T = 1 there is no beta~_2: use beta_1)
        for (int i = 0; i < n; i++) {
            double v = i > 0 ? posteriorVariance[i] : (n > 1 ? posteriorVariance[1] : betas[0]);
            posteriorLogVarianceClipped[i] = Math.log(v);
        }
    }

    // ------------------------------------------------------------------ factories

    /** The named schedule with its default parameters. */
    public static NoiseSchedule of(Kind kind, int steps) {
        return switch (kind) {
            case LINEAR -> linear(steps);
            case COSINE -> cosine(steps);
            case SIGMOID -> sigmoid(steps);
            case SCALED_LINEAR -> scaledLinear(steps);
        };
    }

    /** DDPM's linear betas 1e-4 .. 0.02, scaled by 1000/T so any T covers the same noise range (improved-diffusion). */
    public static NoiseSchedule linear(int steps) { return linear(steps, 1e-4, 0.02); }

    /** Linear betas from {@code betaStart} to {@code betaEnd} (values for T = 1000), scaled by 1000/T. */
    public static NoiseSchedule linear(int steps, double betaStart, double betaEnd) {
        checkSteps(steps);
        double scale = 1000.0 / steps;
        double[] b = linspace(scale * betaStart, scale * betaEnd, steps);
        return fromBetas(clip(b));
    }

    /** Nichol and Dhariwal's cosine schedule: alpha_bar(t) = cos^2((t/T + s)/(1 + s) * pi/2), s = 0.008, betas clipped at 0.999. */
    public static NoiseSchedule cosine(int steps) { return cosine(steps, 0.008); }

    public static NoiseSchedule cosine(int steps, double s) {
        checkSteps(steps);
        double[] b = new double[steps];
        for (int i = 0; i < steps; i++) {
            double a0 = cosineAlphaBar((double) i / steps, s), a1 = cosineAlphaBar((double) (i + 1) / steps, s);
            b[i] = Math.min(1 - a1 / a0, MAX_BETA);
        }
        return fromBetas(b);
    }

    private static double cosineAlphaBar(double u, double s) {
        double c = Math.cos((u + s) / (1 + s) * Math.PI / 2);
        return c * c;
    }

    /** Sigmoid betas: sigmoid(linspace(-6, 6, T)) mapped onto [1e-4, 0.02] (the diffusers shape), scaled by 1000/T. */
    public static NoiseSchedule sigmoid(int steps) { return sigmoid(steps, 1e-4, 0.02); }

    public static NoiseSchedule sigmoid(int steps, double betaStart, double betaEnd) {
        checkSteps(steps);
        double scale = 1000.0 / steps;
        double[] x = linspace(-6, 6, steps), b = new double[steps];
        for (int i = 0; i < steps; i++) b[i] = scale * (betaStart + (betaEnd - betaStart) / (1 + Math.exp(-x[i])));
        return fromBetas(clip(b));
    }

    /** Scaled-linear ("sqrt-linear") betas: linear in sqrt(beta) from 0.00085 to 0.012 (Stable Diffusion's), scaled by 1000/T. */
    public static NoiseSchedule scaledLinear(int steps) { return scaledLinear(steps, 0.00085, 0.012); }

    public static NoiseSchedule scaledLinear(int steps, double betaStart, double betaEnd) {
        checkSteps(steps);
        double scale = 1000.0 / steps;
        double[] r = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), steps), b = new double[steps];
        for (int i = 0; i < steps; i++) b[i] = scale * r[i] * r[i];
        return fromBetas(clip(b));
    }

    /** A user-given beta list (each in (0, 1]). */
    public static NoiseSchedule fromBetas(double... betas) { return new NoiseSchedule(betas); }

    /** The schedule whose cumulative products are {@code alphaBar} (strictly decreasing, in [0, 1)). */
    public static NoiseSchedule fromAlphaBar(double... alphaBar) {
        double[] b = new double[alphaBar.length];
        double prev = 1;
        for (int i = 0; i < b.length; i++) {
            if (!(alphaBar[i] < prev) || alphaBar[i] < 0)
                throw new IllegalArgumentException("alpha_bar must decrease strictly from 1 and stay >= 0; index " + i + " has " + alphaBar[i]);
            b[i] = 1 - alphaBar[i] / prev;
            prev = alphaBar[i];
        }
        return new NoiseSchedule(b);
    }

    /**
     * Lin et al. (2023): shifts and scales sqrt(alpha_bar) so the last step has SNR 0 while the first keeps its value.
     * The eps parameterisation cannot recover x_0 at SNR 0: train such schedules with v or x0.
     */
    public NoiseSchedule rescaledToZeroTerminalSnr() {
        int n = steps();
        if (n < 2) throw new IllegalArgumentException("zero terminal SNR needs at least 2 steps");
        double first = sqrtAlphaBar[0], last = sqrtAlphaBar[n - 1];
        double[] ab = new double[n];
        for (int i = 0; i < n; i++) {
            double s = (sqrtAlphaBar[i] - last) * first / (first - last);
            ab[i] = s * s;
        }
        ab[n - 1] = 0;
        double[] b = new double[n];
        double prev = 1;
        for (int i = 0; i < n; i++) { b[i] = 1 - ab[i] / prev; prev = ab[i]; }
        return new NoiseSchedule(b);
    }

    /** The schedule on the kept timesteps {@code keep} (ascending indices): betas recomputed from alpha_bar. */
    public NoiseSchedule respaced(int[] keep) {
        Respacing.check(keep, steps());
        double[] b = new double[keep.length];
        double prev = 1;
        for (int i = 0; i < keep.length; i++) {
            b[i] = 1 - alphaBar[keep[i]] / prev;
            prev = alphaBar[keep[i]];
        }
        return new NoiseSchedule(b);
    }

    private static void checkSteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("a schedule needs at least 1 step, got " + steps);
    }

    private static double[] linspace(double a, double b, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = n == 1 ? a : a + (b - a) * i / (n - 1);
        return r;
    }

    private static double[] clip(double[] b) {
        for (int i = 0; i < b.length; i++) b[i] = Math.min(b[i], MAX_BETA);
        return b;
    }

    // ------------------------------------------------------------------ accessors (copies or single values)

    public int steps() { return betas.length; }
    public double beta(int i) { return betas[i]; }
    public double alphaBar(int i) { return alphaBar[i]; }
    public double alphaBarPrev(int i) { return alphaBarPrev[i]; }
    public double posteriorVariance(int i) { return posteriorVariance[i]; }
    public double posteriorLogVarianceClipped(int i) { return posteriorLogVarianceClipped[i]; }
    public double snr(int i) { return snr[i]; }

    public double[] betas() { return betas.clone(); }
    public double[] alphas() { return alphas.clone(); }
    public double[] alphaBars() { return alphaBar.clone(); }
    public double[] alphaBarsPrev() { return alphaBarPrev.clone(); }
    public double[] alphaBarsNext() { return alphaBarNext.clone(); }
    public double[] sqrtAlphaBars() { return sqrtAlphaBar.clone(); }
    public double[] sqrtOneMinusAlphaBars() { return sqrtOneMinusAlphaBar.clone(); }
    public double[] logOneMinusAlphaBars() { return logOneMinusAlphaBar.clone(); }
    public double[] sqrtRecipAlphaBars() { return sqrtRecipAlphaBar.clone(); }
    public double[] sqrtRecipM1AlphaBars() { return sqrtRecipM1AlphaBar.clone(); }
    public double[] posteriorVariances() { return posteriorVariance.clone(); }
    public double[] posteriorLogVariancesClipped() { return posteriorLogVarianceClipped.clone(); }
    public double[] posteriorMeanCoefsX0() { return posteriorMeanCoefX0.clone(); }
    public double[] posteriorMeanCoefsXt() { return posteriorMeanCoefXt.clone(); }
    public double[] snrs() { return snr.clone(); }

    /** sigma_i = sqrt((1 - alpha_bar)/alpha_bar), with alpha_bar floored at {@link #MIN_ALPHA_BAR_FOR_SIGMA}. */
    public double[] sigmas() {
        double[] s = new double[steps()];
        for (int i = 0; i < s.length; i++) s[i] = Math.exp(logSigmas[i]);
        return s;
    }

    /** sigma at a continuous timestep: linear interpolation of log sigma between neighbouring steps (k-diffusion's discrete wrapper). */
    public double sigmaAt(double t) {
        int n = steps();
        if (!(t >= 0 && t <= n - 1)) throw new IllegalArgumentException("timestep " + t + " outside [0, " + (n - 1) + "]");
        int lo = (int) Math.floor(t), hi = Math.min(lo + 1, n - 1);
        double w = t - lo;
        return Math.exp((1 - w) * logSigmas[lo] + w * logSigmas[hi]);
    }

    /**
     * alpha_bar of the continuous schedule, 1 / (1 + sigmaAt(t)^2): what a model called at a floating timestep should
     * assume. It equals the table at integer t except where the table is below {@link #MIN_ALPHA_BAR_FOR_SIGMA}.
     */
    public double alphaBarAt(double t) {
        double s = sigmaAt(t);
        return 1 / (1 + s * s);
    }

    /** The continuous timestep whose interpolated log sigma equals log(sigma); clamped to [0, T-1]. Inverse of {@link #sigmaAt}. */
    public double timestepAt(double sigma) {
        int n = steps();
        double ls = Math.log(sigma);
        if (n == 1 || ls <= logSigmas[0]) return 0;
        if (ls >= logSigmas[n - 1]) return n - 1;
        // log sigma increases with t: find lo with logSigmas[lo] <= ls < logSigmas[lo+1]
        int lo = Arrays.binarySearch(logSigmas, ls);
        if (lo >= 0) return lo;
        lo = -lo - 2;
        double w = (ls - logSigmas[lo]) / (logSigmas[lo + 1] - logSigmas[lo]);
        return lo + w;
    }

    /** The closest discrete timestep in log sigma. */
    public int nearestTimestep(double sigma) {
        double ls = Math.log(sigma), best = Double.POSITIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < steps(); i++) {
            double d = Math.abs(ls - logSigmas[i]);
            if (d < best) { best = d; arg = i; }
        }
        return arg;
    }
}
