package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import org.junit.jupiter.api.Test;

/** The forward process, its posterior, the parameterisations and the Gaussian KL / likelihood terms against direct f64 computations. */
class ForwardProcessTest {
    static final NoiseSchedule SCHED = NoiseSchedule.linear(1000);
    static final long[] TS = {0, 1, 17, 500, 998, 999};

    static Tensor t() { return Tensor.ofLongs(TS, TS.length); }
    static Tensor rnd(long seed, int... shape) { return GradCheck.randn(seed, shape); }

    @Test
    void qSampleIsTheClosedFormAndHasItsMoments() {
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Tensor x0 = rnd(1, TS.length, 3), noise = rnd(2, TS.length, 3);
        double[] xt = d.qSample(x0, t(), noise).toDoubleArray(), a = x0.toDoubleArray(), e = noise.toDoubleArray();
        for (int i = 0; i < TS.length; i++)
            for (int j = 0; j < 3; j++) {
                double ab = SCHED.alphaBar((int) TS[i]);
                assertEquals(Math.sqrt(ab) * a[i * 3 + j] + Math.sqrt(1 - ab) * e[i * 3 + j], xt[i * 3 + j], 1e-15);
            }
        // statistics of 200k draws at t = 300: mean sqrt(ab) x0 (SE sqrt((1-ab)/N)), variance 1 - ab (SE (1-ab) sqrt(2/N))
        int n = 200_000;
        double ab = SCHED.alphaBar(300), x = 0.7;
        Tensor many = d.qSample(Tensor.full(x, DType.F64, Device.CPU, n, 1), GaussianDiffusion.timesteps(n, 300, Tensor.zeros(1)),
                Tensor.randn(new Generator(3), DType.F64, Device.CPU, n, 1));
        double[] v = many.toDoubleArray();
        double m = Stats.mean(v, 1)[0], s = Stats.std(v, 1)[0];
        assertEquals(Math.sqrt(ab) * x, m, 4 * Math.sqrt((1 - ab) / n));
        assertEquals(1 - ab, s * s, 4 * (1 - ab) * Math.sqrt(2.0 / n));
        Gaussian q = d.qMeanVariance(Tensor.full(x, DType.F64, Device.CPU, 2, 1), Tensor.ofLongs(new long[] {300, 300}, 2));
        assertEquals(1 - ab, q.variance().item(), 1e-15);
        assertEquals(Math.log(1 - ab), q.logVariance().item(), 1e-15);
    }

    @Test
    void posteriorIsBayesRuleOnTheTwoGaussianFactors() {
        // q(x_{t-1}|x_t,x_0) is proportional to N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) N(x_{t-1}; sqrt(ab_{t-1}) x_0, 1 - ab_{t-1})
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Tensor x0 = rnd(4, TS.length, 2), xt = rnd(5, TS.length, 2);
        Gaussian q = d.qPosterior(x0, xt, t());
        double[] mean = q.mean().toDoubleArray(), var = q.variance().toDoubleArray(), lv = q.logVariance().toDoubleArray();
        double[] a = x0.toDoubleArray(), b = xt.toDoubleArray();
        for (int i = 0; i < TS.length; i++) {
            int k = (int) TS[i];
            double beta = SCHED.beta(k), alpha = 1 - beta, abPrev = k == 0 ? 1 : SCHED.alphaBar(k - 1);
            double precision = alpha / beta + (k == 0 ? Double.POSITIVE_INFINITY : 1 / (1 - abPrev));
            double v = 1 / precision;
            assertEquals(v, var[i], 1e-15 + 1e-12 * v, "posterior variance at " + k);
            double clipped = k == 0 ? Math.log(SCHED.posteriorVariance(1)) : Math.log(v);
            assertEquals(clipped, lv[i], 1e-11, "clipped log variance at " + k);
            for (int j = 0; j < 2; j++) {
                double m = k == 0 ? a[i * 2 + j]
                        : v * (Math.sqrt(alpha) * b[i * 2 + j] / beta + Math.sqrt(abPrev) * a[i * 2 + j] / (1 - abPrev));
                assertEquals(m, mean[i * 2 + j], 1e-12, "posterior mean at " + k);
            }
        }
    }

    @Test
    void parameterisationsConvertExactly() {
        Tensor x0 = rnd(6, TS.length, 3), eps = rnd(7, TS.length, 3);
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion d = new GaussianDiffusion(SCHED, p, VarianceType.FIXED_LARGE);
            Tensor xt = d.qSample(x0, t(), eps);
            Tensor target = d.target(x0, eps, t());
            assertArrayEquals(x0.toDoubleArray(), d.predictX0(target, xt, t()).toDoubleArray(), 1e-9, p + " -> x0");
            assertArrayEquals(eps.toDoubleArray(), d.predictEps(target, xt, t()).toDoubleArray(), 1e-9, p + " -> eps");
            assertArrayEquals(eps.toDoubleArray(), d.epsFromX0(x0, xt, t()).toDoubleArray(), 1e-9);
        }
        // v = sqrt(ab) eps - sqrt(1 - ab) x0
        GaussianDiffusion dv = new GaussianDiffusion(SCHED, Parameterization.V, VarianceType.FIXED_LARGE);
        double[] v = dv.target(x0, eps, t()).toDoubleArray(), a = x0.toDoubleArray(), e = eps.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            double ab = SCHED.alphaBar((int) TS[i / 3]);
            assertEquals(Math.sqrt(ab) * e[i] - Math.sqrt(1 - ab) * a[i], v[i], 1e-15);
        }
    }

    @Test
    void reverseStepVariancesAndMeans() {
        Tensor x0 = rnd(8, TS.length, 2), xt = rnd(9, TS.length, 2);
        Gaussian q = new GaussianDiffusion(SCHED, Parameterization.X0, VarianceType.FIXED_SMALL).qPosterior(x0, xt, t());
        for (VarianceType vt : VarianceType.values()) {
            GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.X0, vt);
            for (double v : new double[] {-1, 0, 0.5, 1}) {
                Tensor out = vt.learned() ? Tensor.cat(1, x0, Tensor.full(v, DType.F64, Device.CPU, TS.length, 2)) : x0;
                Prediction p = d.pMeanVariance(out, xt, t(), null);
                assertArrayEquals(q.mean().toDoubleArray(), p.mean().toDoubleArray(), 1e-14, "exact x0 gives the posterior mean");
                double[] lv = p.logVariance().expand(TS.length, 2).contiguous().toDoubleArray();
                for (int i = 0; i < TS.length; i++) {
                    int k = (int) TS[i];
                    double want = switch (vt) {
                        case FIXED_SMALL -> SCHED.posteriorLogVarianceClipped(k);
                        case FIXED_LARGE -> Math.log(k == 0 ? SCHED.posteriorVariance(1) : SCHED.beta(k));
                        case LEARNED_RANGE -> (v + 1) / 2 * Math.log(SCHED.beta(k)) + (1 - v) / 2 * SCHED.posteriorLogVarianceClipped(k);
                        case LEARNED -> v;
                    };
                    assertEquals(want, lv[2 * i], 1e-12, vt + " log variance at " + k + " for v = " + v);
                }
            }
        }
        GaussianDiffusion learned = new GaussianDiffusion(SCHED, Parameterization.EPS, VarianceType.LEARNED_RANGE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> learned.pMeanVariance(x0, xt, t(), null));
        assertTrue(e.getMessage().contains("2x the channels"), e.getMessage());
    }

    @Test
    void normalKlMatchesNumericalIntegration() {
        double[][] cases = {{0.3, 0.5, -0.2, 1.7}, {0, 1, 0, 1}, {1.5, 0.2, 0.1, 0.9}, {-0.4, 2.0, 0.3, 0.3}};
        for (double[] c : cases) {
            double m1 = c[0], v1 = c[1], m2 = c[2], v2 = c[3];
            double kl = GaussianMath.normalKl(Tensor.scalar(m1, DType.F64, Device.CPU), Tensor.scalar(Math.log(v1), DType.F64, Device.CPU),
                    Tensor.scalar(m2, DType.F64, Device.CPU), Tensor.scalar(Math.log(v2), DType.F64, Device.CPU)).item();
            // Simpson's rule of p log(p/q) over +-12 standard deviations of p
            double lo = m1 - 12 * Math.sqrt(v1), hi = m1 + 12 * Math.sqrt(v1);
            int n = 20_000;
            double h = (hi - lo) / n, sum = 0;
            for (int i = 0; i <= n; i++) {
                double x = lo + i * h;
                double lp = -0.5 * (Math.log(2 * Math.PI * v1) + (x - m1) * (x - m1) / v1);
                double lq = -0.5 * (Math.log(2 * Math.PI * v2) + (x - m2) * (x - m2) / v2);
                double f = Math.exp(lp) * (lp - lq);
                sum += f * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2));
            }
            assertEquals(sum * h / 3, kl, 1e-9, "KL for " + java.util.Arrays.toString(c));
        }
    }

    @Test
    void discretisedGaussianLikelihoodIsANormalisedDistributionOverTheLevels() {
        double mean = 0.93, logScale = Math.log(0.05);
        double[] levels = new double[256];
        for (int k = 0; k < 256; k++) levels[k] = k / 255.0 * 2 - 1;
        Tensor x = Tensor.of(levels, 256);
        double[] lp = GaussianMath.discretizedGaussianLogLikelihood(x, Tensor.full(mean, DType.F64, Device.CPU, 256),
                Tensor.full(logScale, DType.F64, Device.CPU, 256), 256).toDoubleArray();
        double total = 0;
        for (double l : lp) total += Math.exp(l);
        assertEquals(1, total, 1e-9, "probabilities over all levels sum to 1 (edge bins reach +-inf)");
        double s = 0.05;
        for (int k : new int[] {236, 246, 252}) {
            double p = cdf((levels[k] + 1 / 255.0 - mean) / s) - cdf((levels[k] - 1 / 255.0 - mean) / s);
            assertEquals(Math.log(p), lp[k], 1e-9, "bin " + k);
        }
        assertEquals(Math.log(1 - cdf((1 - 1 / 255.0 - mean) / s)), lp[255], 1e-9, "top edge bin");
        assertEquals(Math.log(1e-12), lp[0], 1e-9, "far bins are floored at 1e-12");
        double[] ld = GaussianMath.gaussianLogDensity(Tensor.of(new double[] {0.2}, 1), Tensor.of(new double[] {-0.1}, 1),
                Tensor.of(new double[] {Math.log(0.3)}, 1)).toDoubleArray();
        assertEquals(-0.5 * (Math.log(2 * Math.PI * 0.3) + 0.09 / 0.3), ld[0], 1e-14);
    }

    static double cdf(double z) { return 0.5 * (1 + UnaryOp.erf(z / Math.sqrt(2))); }

    @Test
    void vbTermsArePosteriorKlsAndTheDecoderNllAndPriorIsDirect() {
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.X0, VarianceType.FIXED_SMALL);
        Tensor x0 = GaussianMath.standardNormalCdf(rnd(10, TS.length, 4)).mul(2).sub(1);   // data in (-1, 1)
        Tensor xt = d.qSample(x0, t(), rnd(11, TS.length, 4));
        // the true x0 with the fixed-small variance is the exact posterior: every KL term vanishes
        double[] zero = d.vbTerms(x0, x0, xt, t()).toDoubleArray();
        for (int i = 1; i < TS.length; i++) assertEquals(0, zero[i], 1e-12);
        // a wrong x0: KL = 0.5 coef1^2 |dx0|^2 / var per dim (equal variances), in bits, mean over dims
        Tensor off = x0.add(0.1);
        double[] vb = d.vbTerms(off, x0, xt, t()).toDoubleArray();
        for (int i = 1; i < TS.length; i++) {
            int k = (int) TS[i];
            double c1 = SCHED.posteriorMeanCoefsX0()[k];
            double want = 0.5 * c1 * c1 * 0.01 / Math.exp(SCHED.posteriorLogVarianceClipped(k)) / Math.log(2);
            assertEquals(want, vb[i], 1e-9 * Math.max(1, want), "KL at " + k);
        }
        // index 0 is the discretised decoder NLL
        Prediction p = d.pMeanVariance(off, xt, t(), null);
        double[] ll = GaussianMath.discretizedGaussianLogLikelihood(x0, p.mean(), p.logVariance().mul(0.5), 256).toDoubleArray();
        double dec = 0;
        for (int j = 0; j < 4; j++) dec -= ll[j] / 4 / Math.log(2);
        assertEquals(dec, vb[0], 1e-12);
        // prior: KL(N(sqrt(ab_T) x0, 1 - ab_T) || N(0, 1)) per dim
        double[] prior = d.priorBpd(x0).toDoubleArray(), xs = x0.toDoubleArray();
        double abT = SCHED.alphaBar(999);
        for (int i = 0; i < TS.length; i++) {
            double s = 0;
            for (int j = 0; j < 4; j++) {
                double m = Math.sqrt(abT) * xs[i * 4 + j], v = 1 - abT;
                s += 0.5 * (-1 - Math.log(v) + v + m * m);
            }
            assertEquals(s / 4 / Math.log(2), prior[i], 1e-15);
        }
    }
}
