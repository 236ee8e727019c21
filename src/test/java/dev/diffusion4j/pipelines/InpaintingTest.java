package dev.diffusion4j.pipelines;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.DdimSampler;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.KarrasSampler;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.diffusion.guidance.GaussianOracle;
import dev.diffusion4j.diffusion.guidance.Moments;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Inpainting a correlated 2-D Gaussian, x ~ N(mu, [[s1^2, rho s1 s2], [rho s1 s2, s2^2]]), with x_1 known (= c):
 * the exact answer is x_2 ~ N(mu_2 + rho s2/s1 (c - mu_1), (1 - rho^2) s2^2).
 */
class InpaintingTest {
    static final double[] MU = {0.3, -0.5};
    static final double S1 = 0.6, S2 = 0.9, RHO = 0.8, C = 1.0;
    static final double COND_MEAN = MU[1] + RHO * S2 / S1 * (C - MU[0]), COND_STD = Math.sqrt(1 - RHO * RHO) * S2;
    static final NoiseSchedule BASE = NoiseSchedule.linear(1000);

    static GaussianOracle data(GaussianDiffusion d) {
        return new GaussianOracle(new double[] {1}, new double[][] {MU}, new double[][][] {GaussianOracle.correlated(S1, S2, RHO)}, BASE, d);
    }

    /** The exact model of the data given x_1 = c: a degenerate Gaussian with no variance along x_1. */
    static GaussianOracle conditional(GaussianDiffusion d) {
        return new GaussianOracle(new double[] {1}, new double[][] {{C, COND_MEAN}}, new double[][][] {{{0, 0}, {0, COND_STD * COND_STD}}}, BASE, d);
    }

    static Inpainting task(int n) {
        double[] v = new double[2 * n];
        for (int i = 0; i < n; i++) { v[2 * i] = C; v[2 * i + 1] = 123; }   // the unknown value must never leak
        return new Inpainting(Tensor.of(v, n, 2), Tensor.of(new double[] {1, 0}, 1, 2));
    }

    static double[] checkKnownExactly(String name, double[] x) {
        for (int i = 0; i < x.length / 2; i++) assertEquals(C, x[2 * i], 0, name + ": known entry of row " + i);
        return Moments.column(x, 2, 1);
    }

    @Test
    void reconstructionGuidanceWithTheExactPosteriorVarianceIsExactlyTheConditional() {
        GaussianDiffusion full = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_LARGE);
        GaussianDiffusion d50 = full.respaced("50"), ddim = full.respaced("ddim50");
        Sampler[] samplers = {new DdpmSampler(d50), new DdimSampler(ddim, 0), new KarrasSampler(full, KarrasSampler.Method.HEUN, 30)};
        GaussianDiffusion[] ds = {d50, ddim, full};
        int n = 4_000;
        for (int k = 0; k < samplers.length; k++) {
            GaussianOracle o = data(ds[k]);
            // r_t^2 = Var[x_0,1 | x_t] of the data, exact
            double[] var = new double[2];
            java.util.function.DoubleUnaryOperator r2 = ab -> { o.posteriorMean(0, 0, ab, 0, var); return var[0]; };
            Generator gen = new Generator(11);
            double[] x = task(n).guided(samplers[k], o, BASE, Parameterization.EPS, r2, 1, null, gen, null).toDoubleArray();
            Generator ref = new Generator(11);
            Tensor z = Tensor.randn(ref, DType.F64, Device.CPU, n, 2);
            double[] y = samplers[k].sample(conditional(ds[k]), z, null, ref, null).toDoubleArray();
            double[] u = checkKnownExactly("guided", x), uy = Moments.column(y, 2, 1);
            double diff = Moments.maxAbsDiff(u, uy), m = Moments.mean(u), sd = Moments.std(u);
            double tolM = 4 * COND_STD / Math.sqrt(n), tolS = 4 * COND_STD / Math.sqrt(2.0 * n);
            System.out.printf("inpainting guided %s: vs exact conditional model max path diff %.1e; mean %.4f vs %.4f (tol %.4f), std %.4f vs %.4f (tol %.4f)%n",
                    samplers[k].getClass().getSimpleName(), diff, m, COND_MEAN, tolM, sd, COND_STD, tolS);
            assertTrue(diff < 1e-8, "guided inpainting equals sampling the exact conditional: " + diff);
            // the samplers' own discretisation (30-50 steps): 2% of the std on top of Monte-Carlo error
            assertEquals(COND_MEAN, m, tolM + 0.02 * COND_STD);
            assertEquals(COND_STD, sd, tolS + 0.02 * COND_STD);
        }
    }

    @Test
    void replacementKeepsTheKnownRegionButIsBiasedAndRepaintReducesTheBias() {
        GaussianDiffusion full = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_SMALL);
        GaussianDiffusion d50 = full.respaced("50");
        int n = 4_000;
        double se = COND_STD / Math.sqrt(n);
        Sampler[] samplers = {new DdpmSampler(d50), new DdimSampler(full.respaced("ddim50"), 0), new KarrasSampler(full, KarrasSampler.Method.DPMPP_2M, 30)};
        for (Sampler s : samplers) {
            GaussianOracle o = data(full);
            double[] u = checkKnownExactly("replacement", task(n).sample(s, o, null, new Generator(12), null).toDoubleArray());
            double m = Moments.mean(u);
            System.out.printf("inpainting replacement %s: mean %.4f (exact %.4f, unconditional %.4f), std %.4f (exact %.4f)%n",
                    s.getClass().getSimpleName(), m, COND_MEAN, MU[1], Moments.std(u), COND_STD);
            // the unknown part sees only a noisy copy of the known one: pulled towards the unconditional mean
            assertTrue(m < COND_MEAN - 10 * se && m > MU[1], "replacement lies between the unconditional and the conditional mean: " + m);
        }
        double[] err = new double[3];
        int[] resamplings = {1, 4, 10};
        for (int r = 0; r < 3; r++) {
            GaussianOracle o = data(d50);
            double[] u = checkKnownExactly("repaint", task(n).repaint(new DdpmSampler(d50), o, 10, resamplings[r], null, new Generator(13), null).toDoubleArray());
            // jump points 0, 10, 20, 30 (below 50 - 10), each adding (r - 1) walks of 10 steps down
            assertEquals(50L + 4 * (resamplings[r] - 1) * 10, o.calls, "RePaint's model calls");
            err[r] = Moments.mean(u) - COND_MEAN;
            System.out.printf("inpainting repaint (50 steps, jump 10) x%d: mean err %+.4f, std %.4f (exact %.4f)%n", resamplings[r], err[r], Moments.std(u), COND_STD);
        }
        // measured -0.476, -0.279, -0.262: resampling harmonises, but each level's resampling settles on
        // p_t(x_2 | x_t,1 = a c) rather than p_t(x_2 | x_0,1 = c), so the bias plateaus instead of vanishing
        assertTrue(err[0] < 0 && Math.abs(err[1]) < 0.7 * Math.abs(err[0]) && Math.abs(err[2]) < Math.abs(err[1]) + 2 * se,
                "more resampling, less bias: " + java.util.Arrays.toString(err));
    }

    @Test
    void repaintJumpsPreserveTheMarginalWhenNothingIsKnown() {
        // with an exact reverse model (Gaussian data with diagonal covariance and the exact learned variance), the
        // forward jumps and the reverse steps both preserve p_t, so resampling must not move the output distribution
        double[] mu = {0.5, -0.3}, s = {0.4, 0.8};
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.LEARNED_RANGE).respaced("50");
        GaussianOracle o = new GaussianOracle(new double[] {1}, new double[][] {mu}, new double[][][] {GaussianOracle.diag(s[0], s[1])}, BASE, d);
        int n = 10_000;
        Inpainting nothingKnown = new Inpainting(Tensor.zeros(DType.F64, Device.CPU, n, 2), Tensor.zeros(DType.F64, Device.CPU, 1, 2));
        double[] x = nothingKnown.repaint(new DdpmSampler(d), o, 5, 4, null, new Generator(14), null).toDoubleArray();
        for (int j = 0; j < 2; j++) {
            double[] c = Moments.column(x, 2, j);
            double tolM = 4 * s[j] / Math.sqrt(n), tolS = 4 * s[j] / Math.sqrt(2.0 * n);
            System.out.printf("repaint, nothing known, dim %d: mean err %+.4f (tol %.4f), std err %+.4f (tol %.4f)%n",
                    j, Moments.mean(c) - mu[j], tolM, Moments.std(c) - s[j], tolS);
            assertEquals(mu[j], Moments.mean(c), tolM);
            assertEquals(s[j], Moments.std(c), tolS);
        }
    }
}
