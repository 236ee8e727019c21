package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Samplers driven by the exact denoiser of Gaussian data x_0 ~ N(mu, diag s^2) (2-D, different mean and scale per dim).
 *
 * <p>Tolerances. Stochastic samplers: with N draws the sample mean has standard error s/sqrt(N) and the sample std
 * about s/sqrt(2N); we allow 4 standard errors (a false alarm about 1 in 15,000 per check) plus, where the sampler is
 * only asymptotically exact, its discretisation bias (stated at each check). Deterministic samplers are affine maps of
 * the noise for Gaussian data, so they are compared path by path with the exact probability-flow map of the same noise,
 * which removes Monte-Carlo error altogether; their error must shrink at the method's order when steps double.
 */
class SamplerGaussianTest {
    static final double[] MU = {0.5, -0.3};
    static final double[] S = {0.4, 0.8};

    static Tensor noise(long seed, int n) { return Tensor.randn(new Generator(seed), DType.F64, Device.CPU, n, 2); }

    /** Exact flow map of unit noise z (x_T) to x_0: standardise under q(x_T) = N(a mu, a^2 s^2 + 1 - a^2), rescale to the data. */
    static double[] exactFlow(double[] z, double alphaBarT) {
        double a = Math.sqrt(alphaBarT);
        double[] r = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            int j = i % 2;
            r[i] = MU[j] + S[j] * (z[i] - a * MU[j]) / Math.sqrt(alphaBarT * S[j] * S[j] + 1 - alphaBarT);
        }
        return r;
    }

    /** Asserts sample moments within 4 standard errors plus {@code biasFrac} * s of allowed discretisation bias. */
    static void assertMoments(String name, double[] x, double biasFrac) {
        int n = x.length / 2;
        double[] m = Stats.mean(x, 2), s = Stats.std(x, 2);
        for (int j = 0; j < 2; j++) {
            double tolMean = 4 * S[j] / Math.sqrt(n) + biasFrac * S[j];
            double tolStd = 4 * S[j] / Math.sqrt(2.0 * n) + biasFrac * S[j];
            System.out.printf("%s dim %d: mean err %+.5f (tol %.5f), std err %+.5f (tol %.5f)%n", name, j, m[j] - MU[j], tolMean, s[j] - S[j], tolStd);
            assertEquals(MU[j], m[j], tolMean, name + " mean of dim " + j);
            assertEquals(S[j], s[j], tolStd, name + " std of dim " + j);
        }
    }

    @Test
    void ddpmWithTheOptimalLearnedVarianceIsExactForEveryParameterisation() {
        // For Gaussian data the true reverse conditional q(x_{t-1}|x_t) is Gaussian with exactly the mean and
        // (diagonal) variance the oracle outputs, so ancestral sampling is exact at any T: only Monte-Carlo error remains.
        NoiseSchedule base = NoiseSchedule.linear(200);
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion d = new GaussianDiffusion(base, p, VarianceType.LEARNED_RANGE);
            if (p != Parameterization.EPS) d = d.respaced("40");   // respaced chains are exact too (and quicker)
            Oracle o = Oracle.gaussian(MU, S, base, d);
            double[] x = new DdpmSampler(d).sample(o, noise(1, 20_000), null, new Generator(2), null).toDoubleArray();
            assertEquals(0, o.rangeClamps, "the optimal variance lies between beta~ and beta for s <= 1");
            assertMoments("ddpm " + d.steps() + " learned-range " + p, x, 0);
        }
    }

    @Test
    void ddpmWithFixedVariancesIsAccurateAtLargeTAndBiasedAsTheoryPredictsAtSmallT() {
        // T = 1000: the fixed-variance bias (measured |err| <= 0.006 with 20k samples) is below the MC tolerance.
        NoiseSchedule big = NoiseSchedule.linear(1000);
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_SMALL, VarianceType.FIXED_LARGE}) {
            GaussianDiffusion d = new GaussianDiffusion(big, Parameterization.EPS, v);
            double[] x = new DdpmSampler(d).sample(Oracle.gaussian(MU, S, big, d), noise(3, 5_000), null, new Generator(4), null).toDoubleArray();
            assertMoments("ddpm 1000 " + v, x, 0);
        }
        // T = 100 with common random numbers: beta~ < true reverse variance < beta, so the small variance
        // under-disperses and the large one over-disperses (measured: std -0.029 vs +0.010 for s = 0.4, -0.031 vs +0.010 for s = 0.8).
        NoiseSchedule small = NoiseSchedule.linear(100);
        double[][] std = new double[2][];
        int k = 0;
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_SMALL, VarianceType.FIXED_LARGE}) {
            GaussianDiffusion d = new GaussianDiffusion(small, Parameterization.EPS, v);
            std[k++] = Stats.std(new DdpmSampler(d).sample(Oracle.gaussian(MU, S, small, d), noise(5, 5_000), null, new Generator(6), null).toDoubleArray(), 2);
        }
        for (int j = 0; j < 2; j++) {
            assertTrue(std[0][j] < S[j] - 0.02 * S[j], "fixed-small under-disperses: " + std[0][j]);
            assertTrue(std[1][j] - std[0][j] > 0.03 * S[j], "fixed-large is wider than fixed-small: " + std[1][j] + " vs " + std[0][j]);
        }
    }

    @Test
    void ddimWithEtaOneIsDdpmWithTheSmallVariance() {
        // Same schedule, same generator: the two updates are algebraically identical, so the draws must agree to rounding.
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.linear(1000), Parameterization.V, VarianceType.FIXED_SMALL).respaced("25");
        Oracle o = Oracle.gaussian(MU, S, NoiseSchedule.linear(1000), d);
        double[] a = new DdimSampler(d, 1).sample(o, noise(7, 500), null, new Generator(8), null).toDoubleArray();
        double[] b = new DdpmSampler(d).sample(o, noise(7, 500), null, new Generator(8), null).toDoubleArray();
        assertTrue(Stats.maxAbsDiff(a, b) < 1e-10, "DDIM(eta=1) vs DDPM: " + Stats.maxAbsDiff(a, b));
    }

    record Run(String name, double[] x) {}

    @Test
    void deterministicSamplersConvergeToTheExactFlowAtTheirOrder() {
        NoiseSchedule base = NoiseSchedule.linear(1000);
        double abT = base.alphaBar(999);
        Tensor z = noise(9, 2_000);
        double[] exact = exactFlow(z.toDoubleArray(), abT);
        // order 1: DDIM and Euler (error ratio ~0.5 per doubling); order 2: Heun and DPM-Solver++(2M) (~0.25)
        Object[][] cases = {
            {"ddim", 1}, {"EULER", 1}, {"HEUN", 2}, {"DPMPP_2M", 2}};
        for (Object[] c : cases) {
            String name = (String) c[0];
            int order = (Integer) c[1];
            double[] err = new double[2];
            for (int k = 0; k < 2; k++) {
                int steps = k == 0 ? 25 : 50;
                double[] x;
                if (name.equals("ddim")) {
                    GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("ddim" + steps);
                    x = new DdimSampler(d, 0).sample(Oracle.gaussian(MU, S, base, d), z, null, new Generator(0), null).toDoubleArray();
                } else {
                    GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
                    x = new KarrasSampler(d, KarrasSampler.Method.valueOf(name), steps).sample(Oracle.gaussian(MU, S, base, d), z, null, new Generator(0), null).toDoubleArray();
                }
                err[k] = Stats.rms(x, exact);
            }
            double ratio = err[1] / err[0];
            System.out.printf("%s: path RMS error %.3e (25 steps) %.3e (50 steps), ratio %.3f%n", name, err[0], err[1], ratio);
            if (order == 1) assertTrue(ratio > 0.4 && ratio < 0.6, name + " first-order ratio " + ratio);
            else assertTrue(ratio < 0.3, name + " second-order ratio " + ratio);
            // measured at 50 steps: ddim 3.0e-2, Euler 3.6e-2, Heun 3.9e-3, DPM++ 4.1e-3 (s = 0.4 and 0.8)
            assertTrue(err[1] < (order == 1 ? 0.05 : 0.006), name + " error at 50 steps " + err[1]);
        }
    }

    @Test
    void samplersAgreeAcrossParameterisations() {
        // eps, x0 and v outputs of the same oracle are exact reparameterisations: every sampler must give the same draws.
        NoiseSchedule base = NoiseSchedule.cosine(1000);
        Tensor z = noise(10, 300);
        List<Run> runs = new ArrayList<>();
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion d = new GaussianDiffusion(base, p, VarianceType.FIXED_LARGE);
            GaussianDiffusion dd = d.respaced("ddim20");
            runs.add(new Run("ddim " + p, new DdimSampler(dd, 0.5).sample(Oracle.gaussian(MU, S, base, dd), z, null, new Generator(1), null).toDoubleArray()));
            GaussianDiffusion dr = d.respaced("20");
            runs.add(new Run("ddpm " + p, new DdpmSampler(dr).sample(Oracle.gaussian(MU, S, base, dr), z, null, new Generator(1), null).toDoubleArray()));
            for (KarrasSampler.Method m : KarrasSampler.Method.values())
                runs.add(new Run(m + " " + p, new KarrasSampler(d, m, 10).sample(Oracle.gaussian(MU, S, base, d), z, null, new Generator(1), null).toDoubleArray()));
        }
        int per = runs.size() / 3;
        for (int i = 0; i < per; i++)
            for (int k = 1; k < 3; k++) {
                double diff = Stats.maxAbsDiff(runs.get(i).x(), runs.get(k * per + i).x());
                assertTrue(diff < 1e-8, runs.get(i).name() + " vs " + runs.get(k * per + i).name() + ": " + diff);
            }
    }

    @Test
    void stochasticSigmaSamplerMatchesTheDataMoments() {
        // Euler ancestral is first order: measured std bias -0.0035 (s = 0.4) at 400 steps, i.e. about 1.4 s / n.
        NoiseSchedule base = NoiseSchedule.linear(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
        int steps = 400;
        double[] x = new KarrasSampler(d, KarrasSampler.Method.EULER_ANCESTRAL, steps)
                .sample(Oracle.gaussian(MU, S, base, d), noise(11, 10_000), null, new Generator(12), null).toDoubleArray();
        assertMoments("euler-ancestral " + steps, x, 2.0 / steps);
    }

    @Test
    void zeroTerminalSnrWithVPredictionStartsFromTheExactPrior() {
        // alpha_bar_T = 0 makes q(x_T) = N(0, I) exactly; with v the model still recovers x_0 at SNR 0. The section
        // respacing keeps t = T-1, so DDIM starts at SNR 0 and its flow map is mu + s z.
        NoiseSchedule base = NoiseSchedule.scaledLinear(1000).rescaledToZeroTerminalSnr();
        Tensor z = noise(13, 2_000);
        double[] exact = exactFlow(z.toDoubleArray(), 0);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.V, VarianceType.FIXED_SMALL).respaced("100");
        double[] x = new DdimSampler(d, 0).sample(Oracle.gaussian(MU, S, base, d), z, null, new Generator(0), null).toDoubleArray();
        double err = Stats.rms(x, exact);
        System.out.printf("zero-SNR v ddim100 path RMS %.3e%n", err);
        assertTrue(err < 0.03, "zero terminal SNR DDIM path error " + err);
        // DPM-Solver++ starts at the floored sigma (alpha_bar 2^-24, a prior mismatch of ~2^-12, negligible); over this
        // wide sigma range (4096 .. 0.03) it needs more steps: check second-order convergence from 50 to 100 steps
        GaussianDiffusion full = new GaussianDiffusion(base, Parameterization.V, VarianceType.FIXED_SMALL);
        double[] errs = new double[2];
        for (int k = 0; k < 2; k++) {
            double[] y = new KarrasSampler(full, KarrasSampler.Method.DPMPP_2M, 50 << k).sample(Oracle.gaussian(MU, S, base, full), z, null, new Generator(0), null).toDoubleArray();
            errs[k] = Stats.rms(y, exact);
        }
        System.out.printf("zero-SNR v dpm++ path RMS %.3e (50 steps) %.3e (100 steps)%n", errs[0], errs[1]);
        assertTrue(errs[1] / errs[0] < 0.3 && errs[1] < 0.004, "zero terminal SNR DPM++ path errors " + errs[0] + ", " + errs[1]);
    }
}
