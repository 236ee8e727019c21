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
import dev.diffusion4j.diffusion.guidance.ExactFlow;
import dev.diffusion4j.diffusion.guidance.GaussianOracle;
import dev.diffusion4j.diffusion.guidance.Moments;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * SDEdit on Gaussian data x_0 ~ N(mu, diag s^2), where everything is closed form: from an input u noised to
 * x_t = a u + b z, the exact reverse process gives x_0 | u ~ N(mu + k a (u - mu), s^2 b^2 / (a^2 s^2 + b^2) + k^2 b^2)
 * with k = a s^2 / (a^2 s^2 + b^2), and the probability flow is the affine map of x_t an RK4 reference integrates.
 */
class ImageToImageTest {
    static final double[] MU = {0.5, -0.3}, S = {0.4, 0.8};
    static final double[] INPUT = {1.5, -2.0};
    static final NoiseSchedule BASE = NoiseSchedule.linear(1000);

    static GaussianOracle oracle(GaussianDiffusion d) {
        return new GaussianOracle(new double[] {1}, new double[][] {MU}, new double[][][] {GaussianOracle.diag(S[0], S[1])}, BASE, d);
    }

    static Tensor input(int n) {
        double[] v = new double[2 * n];
        for (int i = 0; i < n; i++) { v[2 * i] = INPUT[0]; v[2 * i + 1] = INPUT[1]; }
        return Tensor.of(v, n, 2);
    }

    @Test
    void strengthZeroReturnsTheInputWithoutCallingTheModel() {
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Sampler[] samplers = {new DdpmSampler(d.respaced("50")), new DdimSampler(d.respaced("ddim50"), 0), new KarrasSampler(d, KarrasSampler.Method.HEUN, 20)};
        Tensor x = Tensor.randn(new Generator(1), DType.F64, Device.CPU, 8, 2);
        for (Sampler s : samplers) {
            GaussianOracle o = oracle(d);
            Tensor out = ImageToImage.sdedit(s, o, x, 0, null, new Generator(2), null);
            assertArrayEquals(x.toDoubleArray(), out.toDoubleArray(), 0, s.getClass().getSimpleName());
            assertEquals(0, o.calls);
            assertEquals(1.0, s.startAlphaBar(s.steps()));
            // a strength too small for one step rounds to zero steps as well
            assertEquals(s.steps(), ImageToImage.startStep(s, 0.4 / s.steps()));
        }
        assertThrows(IllegalArgumentException.class, () -> ImageToImage.startStep(samplers[0], 1.5));
    }

    @Test
    void strengthOneIsPlainSamplingWithTheSameSeed() {
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Sampler[] samplers = {new DdpmSampler(d.respaced("20")), new DdimSampler(d.respaced("ddim20"), 0.5), new KarrasSampler(d, KarrasSampler.Method.EULER_ANCESTRAL, 10)};
        for (Sampler s : samplers) {
            double[] edited = ImageToImage.sdedit(s, oracle(d), input(50), 1, null, new Generator(7), null).toDoubleArray();
            Generator gen = new Generator(7);
            double[] sampled = s.sample(oracle(d), new int[] {50, 2}, DType.F64, Device.CPU, null, gen, null).toDoubleArray();
            assertArrayEquals(sampled, edited, 0, s.getClass().getSimpleName());
            assertEquals(s.steps(), ImageToImage.stepsRun(s, 1));
        }
    }

    @Test
    void strengthOneIsPlainSamplingInDistribution() {
        // the start x_T = sqrt(ab_T) u + sqrt(1 - ab_T) z differs from plain noise by sqrt(ab_T) = 0.0064 (linear
        // schedule), which the exact reverse chain shrinks further: only Monte-Carlo error remains (4 standard errors)
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.LEARNED_RANGE).respaced("50");
        int n = 10_000;
        double[] x = ImageToImage.sdedit(new DdpmSampler(d), oracle(d), input(n), 1, null, new Generator(3), null).toDoubleArray();
        for (int j = 0; j < 2; j++) {
            double[] c = Moments.column(x, 2, j);
            double m = Moments.mean(c), sd = Moments.std(c), tolM = 4 * S[j] / Math.sqrt(n), tolS = 4 * S[j] / Math.sqrt(2.0 * n);
            System.out.printf("sdedit strength 1 dim %d: mean err %+.4f (tol %.4f) std err %+.4f (tol %.4f)%n", j, m - MU[j], tolM, sd - S[j], tolS);
            assertEquals(MU[j], m, tolM);
            assertEquals(S[j], sd, tolS);
        }
    }

    @Test
    void intermediateStrengthMatchesTheClosedForm() {
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.V, VarianceType.LEARNED_RANGE).respaced("100");
        DdpmSampler ddpm = new DdpmSampler(d);
        double strength = 0.45;
        int n = 10_000, k = ImageToImage.startStep(ddpm, strength);
        assertEquals(55, k);
        double ab = ddpm.startAlphaBar(k), a = Math.sqrt(ab), b2 = 1 - ab;
        double[] x = ImageToImage.sdedit(ddpm, oracle(d), input(n), strength, null, new Generator(4), null).toDoubleArray();
        for (int j = 0; j < 2; j++) {
            double s2 = S[j] * S[j], gain = a * s2 / (ab * s2 + b2);
            double mean = MU[j] + gain * a * (INPUT[j] - MU[j]), sd = Math.sqrt(s2 * b2 / (ab * s2 + b2) + gain * gain * b2);
            double[] c = Moments.column(x, 2, j);
            double tolM = 4 * sd / Math.sqrt(n), tolS = 4 * sd / Math.sqrt(2.0 * n);
            System.out.printf("sdedit ddpm strength %.2f (alpha_bar %.3f) dim %d: mean %.4f vs %.4f (tol %.4f), std %.4f vs %.4f (tol %.4f)%n",
                    strength, ab, j, Moments.mean(c), mean, tolM, Moments.std(c), sd, tolS);
            assertEquals(mean, Moments.mean(c), tolM);
            assertEquals(sd, Moments.std(c), tolS);
        }
        // the deterministic flow from the same start: path by path against RK4 (same generator, so the same z);
        // Heun is second order, so the error must fall about 4x when the steps double
        GaussianDiffusion full = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_SMALL);
        GaussianOracle o = oracle(full);
        int m = 1_000;
        double[] err = new double[2];
        for (int r = 0; r < 2; r++) {
            KarrasSampler heun = new KarrasSampler(full, KarrasSampler.Method.HEUN, 60 << r);
            int kh = ImageToImage.startStep(heun, strength);
            double[] got = ImageToImage.sdedit(heun, o, input(m), strength, null, new Generator(5), null).toDoubleArray();
            double abh = heun.startAlphaBar(kh);
            Tensor start = input(m).mul(Math.sqrt(abh)).add(Tensor.randn(new Generator(5), DType.F64, Device.CPU, m, 2).mul(Math.sqrt(1 - abh)));
            double[] sig = heun.sigmas();
            double[] exact = ExactFlow.integrate(start.toDoubleArray(), sig[kh], sig[sig.length - 2], 150,
                    (x0, x1, abt) -> o.posteriorMean(x0, x1, abt, 0, null));
            err[r] = Moments.rms(got, exact);
            System.out.printf("sdedit heun from step %d of %d: path RMS vs exact flow %.2e%n", kh, heun.steps(), err[r]);
        }
        assertTrue(err[1] < 1e-3 && err[1] / err[0] < 0.3, "SDEdit flow errors " + err[0] + " -> " + err[1]);
    }
}
