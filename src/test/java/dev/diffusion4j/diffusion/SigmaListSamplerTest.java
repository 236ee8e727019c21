package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Euler, Heun, DPM-Solver++ on explicit sigma lists, and PNDM, against known answers: Gaussian data, whose probability
 * flow ODE is solved in closed form (x(sigma) proportional to sqrt(c^2 + sigma^2)), for the order of convergence; first-
 * order DPM-Solver++ is DDIM; PNDM with the exact eps of a point mass lands on it.
 */
class SigmaListSamplerTest {
    static final NoiseSchedule S = NoiseSchedule.linear(1000);
    static final GaussianDiffusion X0 = new GaussianDiffusion(S, Parameterization.X0, VarianceType.FIXED_SMALL);
    static final double C = 0.5;

    /** E[x0 | x_t] for x0 ~ N(0, C^2): sqrt(ab) C^2 / (ab C^2 + 1 - ab) x_t, at whole timesteps. */
    static final Denoiser GAUSSIAN = (x, t, cond) -> {
        double ab = S.alphaBar((int) t.to(DType.F64).toDoubleArray()[0]);
        return x.mul(Math.sqrt(ab) * C * C / (ab * C * C + 1 - ab));
    };

    /** n whole timesteps from 999 down (evenly spaced), their table sigmas, then 0. */
    static SigmaListSampler sampler(SigmaListSampler.Method m, int n) {
        double[] ts = new double[n], sig = new double[n + 1];
        double[] table = S.sigmas();
        for (int i = 0; i < n; i++) {
            ts[i] = Math.rint(999.0 * (n - 1 - i) / (n - 1) * 0.97 + 20);   // 989 .. 20
            sig[i] = table[(int) ts[i]];
        }
        return new SigmaListSampler(X0, m, sig, ts, Math.sqrt(1 + sig[0] * sig[0]), true, Thresholding.none());
    }

    /** |x - exact| at the second-to-last level (the last step is first order by design: Heun's, and to sigma 0). */
    static double error(SigmaListSampler.Method m, int n) {
        SigmaListSampler s = sampler(m, n);
        Tensor noise = Tensor.of(new double[] {1.3, -0.7}, 1, 2);
        double[] sig = s.sigmas();
        double[] got = new double[1];
        s.sample(GAUSSIAN, noise, null, new Generator(0), st -> { if (st.index() == n - 2) got[0] = st.x().toDoubleArray()[0]; });
        double s0 = sig[0], se = sig[n - 1];
        double exactVe = 1.3 * Math.sqrt(1 + s0 * s0) * Math.sqrt(C * C + se * se) / Math.sqrt(C * C + s0 * s0);
        return Math.abs(got[0] - exactVe / Math.sqrt(1 + se * se));
    }

    @Test void convergesAtEachMethodsOrderOnGaussianData() {
        double e1 = error(SigmaListSampler.Method.EULER, 20), e2 = error(SigmaListSampler.Method.EULER, 40);
        assertTrue(e2 < e1 && e1 / e2 > 1.8 && e1 / e2 < 2.2, "Euler: first order, errors " + e1 + ", " + e2);
        // in the variance-exploding variable first-order DPM-Solver++ is Euler's step
        assertEquals(e1, error(SigmaListSampler.Method.DPMPP_1, 20), 1e-12);
        for (SigmaListSampler.Method m : new SigmaListSampler.Method[] {SigmaListSampler.Method.HEUN, SigmaListSampler.Method.DPMPP_2M_MIDPOINT,
                SigmaListSampler.Method.DPMPP_2M_HEUN}) {
            double a = error(m, 40), b = error(m, 80);   // measured: ratios 3.8 to 4.1 (2M starts first order)
            assertTrue(a / b > 3.3, m + ": second order, errors " + a + ", " + b);
            assertTrue(error(m, 20) < e1, m + " beats Euler at 20 steps");
        }
    }

    @Test void firstOrderDpmSolverIsDdim() {
        GaussianDiffusion eps = new GaussianDiffusion(S, Parameterization.EPS, VarianceType.FIXED_SMALL);
        int[] ts = {900, 800, 700, 600, 500, 400, 300, 200, 100, 0};
        double[] t = new double[10], sig = new double[11];
        for (int i = 0; i < 10; i++) { t[i] = ts[i]; sig[i] = S.sigmas()[ts[i]]; }
        Denoiser affine = (x, tt, cond) -> x.mul(0.6).add(tt.to(x.dtype()).reshape(-1, 1).mul(1e-4));
        Tensor noise = Tensor.randn(new Generator(5), DType.F64, Device.CPU, 3, 4);
        double[] dpm = new SigmaListSampler(eps, SigmaListSampler.Method.DPMPP_1, sig, t, Math.sqrt(1 + sig[0] * sig[0]), true, Thresholding.none())
                .sample(affine, noise, null, new Generator(0), null).toDoubleArray();
        double[] ddim = new TimestepListDdimSampler(eps, ts, 1.0, 0, Thresholding.none()).sample(affine, noise, null, new Generator(0), null).toDoubleArray();
        assertArrayEquals(ddim, dpm, 1e-10);
    }

    @Test void pndmLandsOnAPointMassWithItsExactEps() {
        double m = 0.4;
        GaussianDiffusion eps = new GaussianDiffusion(S, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Denoiser exact = (x, t, cond) -> {
            double ab = S.alphaBar((int) t.toDoubleArray()[0]);
            return x.sub(Math.sqrt(ab) * m).div(Math.sqrt(1 - ab));
        };
        int[] ts = {900, 800, 700, 600, 500, 400, 300, 200, 100, 0};
        for (boolean skip : new boolean[] {true, false}) {
            PndmSampler p = new PndmSampler(eps, ts, 100, 1.0, skip);
            double[] x = p.sample(exact, Tensor.of(new double[] {1.1, -2.0}, 1, 2), null, new Generator(0), null).toDoubleArray();
            assertArrayEquals(new double[] {m, m}, x, 1e-9, "skip_prk_steps " + skip);
        }
        // diffusers' PNDMScheduler (leading spacing, 10 steps): the warm-up's midpoints, then PLMS
        assertArrayEquals(new int[] {900, 850, 850, 800, 800, 750, 750, 700, 700, 650, 650, 600, 600, 500, 400, 300, 200, 100, 0},
                new PndmSampler(eps, ts, 100, 1.0, false).modelTimesteps());
        assertArrayEquals(new int[] {900, 800, 800, 700, 600, 500, 400, 300, 200, 100, 0}, new PndmSampler(eps, ts, 100, 1.0, true).modelTimesteps());
        assertEquals(19, new PndmSampler(eps, ts, 100, 1.0, false).steps());
    }
}
