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
 * DDIM inversion x_0 -> x_T followed by DDIM sampling x_T -> x_0 must return the input: up to a first-order
 * discretisation error for classic inversion (explicit in both directions, so the two errors add rather than cancel),
 * and to near rounding for the fixed-point inversion, which solves each sampling step for its start point.
 */
class DdimInversionTest {
    static final double[] MU = SamplerGaussianTest.MU, S = SamplerGaussianTest.S;

    @Test
    void inversionThenSamplingReturnsTheInputForGaussianData() {
        NoiseSchedule base = NoiseSchedule.linear(1000);
        Oracle data = Oracle.gaussian(MU, S, base, new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL));
        Tensor x0 = data.sample(2_000, new Generator(1));
        double[] err = new double[2];
        for (int k = 0; k < 2; k++) {
            GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced(k == 0 ? "ddim50" : "ddim100");
            DdimSampler ddim = new DdimSampler(d, 0);
            Oracle o = data.with(d);
            err[k] = Stats.rms(ddim.sample(o, ddim.invert(o, x0, null, null), null, new Generator(0), null).toDoubleArray(), x0.toDoubleArray());
        }
        System.out.printf("classic DDIM round trip RMS error: %.3e (50 steps), %.3e (100 steps)%n", err[0], err[1]);
        // measured 5.7e-2 and 2.9e-2: first order, the ratio must be near 1/2
        assertTrue(err[1] / err[0] > 0.4 && err[1] / err[0] < 0.6 && err[1] < 0.04, "round trip errors " + err[0] + ", " + err[1]);

        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("ddim50");
        DdimSampler exact = new DdimSampler(d, 0).withInversionIterations(6);
        Oracle o = data.with(d);
        Tensor xT = exact.invert(o, x0, null, null);
        double e = Stats.rms(exact.sample(o, xT, null, new Generator(0), null).toDoubleArray(), x0.toDoubleArray());
        System.out.printf("fixed-point DDIM round trip RMS error (50 steps, 6 iterations): %.3e%n", e);
        assertTrue(e < 1e-6, "fixed-point round trip error " + e);
        // and the latents are standard normal up to MC error (4/sqrt(N), 4/sqrt(2N)) plus the 50-step flow error (~0.03)
        double[] lat = xT.toDoubleArray(), m = Stats.mean(lat, 2), sd = Stats.std(lat, 2);
        for (int j = 0; j < 2; j++) {
            assertEquals(0, m[j], 4 / Math.sqrt(2_000) + 0.03, "latent mean");
            assertEquals(1, sd[j], 4 / Math.sqrt(4_000) + 0.1, "latent std");
        }
    }

    @Test
    void inversionRoundTripForMixtureDataAndEveryParameterisation() {
        NoiseSchedule base = NoiseSchedule.cosine(1000);
        for (Parameterization p : Parameterization.values()) {
            // "ddim50" stops at t = 980: a step into SNR ~ 0 (cosine's t = 999) has no well-conditioned inverse
            GaussianDiffusion d = new GaussianDiffusion(base, p, VarianceType.LEARNED_RANGE).respaced("ddim50");
            Oracle o = new Oracle(SamplerMixtureTest.W, SamplerMixtureTest.MU, SamplerMixtureTest.S, base, d);
            Tensor x0 = o.sample(500, new Generator(2));
            // measured: 7.2e-2 classic, 6.6e-4 / 6.2e-5 / 9.3e-7 after 4 / 8 / 16 iterations (geometric convergence)
            DdimSampler ddim = new DdimSampler(d, 0).withInversionIterations(16);
            List<Double> ts = new ArrayList<>();
            Tensor back = ddim.sample(o, ddim.invert(o, x0, null, s -> ts.add(s.t())), null, new Generator(0), null);
            double err = Stats.rms(back.toDoubleArray(), x0.toDoubleArray());
            System.out.printf("mixture fixed-point round trip %s: RMS %.3e%n", p, err);
            assertTrue(err < 1e-5, p + " mixture round trip error " + err);
            assertEquals(50, ts.size());
            assertEquals(0.0, ts.get(0));             // the first step starts from the data, read at the smallest timestep
            assertEquals(d.modelTimestep(48), ts.get(49));
        }
    }

    @Test
    void callbackSeesEveryStepAndThresholdingBoundsX0() {
        NoiseSchedule base = NoiseSchedule.linear(100);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Oracle o = Oracle.gaussian(new double[] {1.5, -1.5}, new double[] {0.5, 0.5}, base, d);
        List<StepCallback.Step> steps = new ArrayList<>();
        Tensor x = new DdpmSampler(d).withThresholding(Thresholding.clip()).sample(o, new int[] {200, 2}, DType.F64, Device.CPU, null, new Generator(3), steps::add);
        assertEquals(100, steps.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, steps.get(i).index());
            assertEquals(99 - i, steps.get(i).t());
            double[] p = steps.get(i).predX0().toDoubleArray();
            for (double v : p) assertTrue(Math.abs(v) <= 1, "clipped x0 " + v);
        }
        assertSame(x, steps.get(99).x());
        // dynamic thresholding: each sample's 0.9 quantile of |x0| (when above 1) maps to exactly 1
        Tensor big = Tensor.of(new double[] {0.1, -3, 2, 0.5, 0.2, 0.3, -0.4, 0.1}, 2, 4);
        double[] th = Thresholding.dynamic(0.9).apply(big).toDoubleArray();
        double s0 = 2 + 0.7 * (3 - 2);   // sorted |x| = 0.1, 0.5, 2, 3: quantile at position 2.7
        assertArrayEquals(new double[] {0.1 / s0, -1, 2 / s0, 0.5 / s0, 0.2, 0.3, -0.4, 0.1}, th, 1e-12);
        // Karras samplers report VP-scale states and also apply thresholding
        List<StepCallback.Step> ks = new ArrayList<>();
        new KarrasSampler(d, KarrasSampler.Method.HEUN, 10).withThresholding(Thresholding.clip()).sample(o, new int[] {50, 2}, DType.F64, Device.CPU, null, new Generator(3), ks::add);
        assertEquals(10, ks.size());
        for (StepCallback.Step s : ks) for (double v : s.predX0().toDoubleArray()) assertTrue(Math.abs(v) <= 1);
    }
}
