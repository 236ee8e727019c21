package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Samplers driven by the exact denoiser of a 2-D mixture of three axis-aligned Gaussians must reproduce the mixture
 * weights and each component's mean and std. Components are at least 2 apart with stds <= 0.3, so assigning a sample
 * to the nearest mean misassigns with probability below 1e-6.
 *
 * <p>Tolerances: the weight estimate has standard error sqrt(w (1 - w) / N) (N = 10,000: at most 0.005); component
 * moments have s/sqrt(N w) and s/sqrt(2 N w). We allow 4 standard errors plus a
 * discretisation budget of 5% of the component's std (the step counts below are chosen so that measured errors stay
 * inside it: first-order samplers converge slowly on the sharp components, e.g. Euler's worst mean error is 0.022 at
 * 100 steps, 0.011 at 200 and 0.006 at 400; DPM-Solver++(2M) 0.13 at 20 steps and 0.018 at 40).
 */
class SamplerMixtureTest {
    static final double[] W = {0.5, 0.3, 0.2};
    static final double[][] MU = {{-1, -0.5}, {1, 1}, {1, -1}};
    static final double[][] S = {{0.2, 0.3}, {0.25, 0.15}, {0.2, 0.2}};
    static final int N = 10_000;

    static Oracle oracle(NoiseSchedule base, GaussianDiffusion d) { return new Oracle(W, MU, S, base, d); }

    static void check(String name, double[] x, double bias) {
        int n = x.length / 2;
        int[] count = new int[3];
        double[][] sum = new double[3][2], sq = new double[3][2];
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bd = Double.POSITIVE_INFINITY;
            for (int k = 0; k < 3; k++) {
                double dx = x[2 * i] - MU[k][0], dy = x[2 * i + 1] - MU[k][1], dd = dx * dx + dy * dy;
                if (dd < bd) { bd = dd; best = k; }
            }
            count[best]++;
            for (int j = 0; j < 2; j++) { sum[best][j] += x[2 * i + j]; sq[best][j] += x[2 * i + j] * x[2 * i + j]; }
        }
        StringBuilder sb = new StringBuilder(name);
        for (int k = 0; k < 3; k++) {
            double w = (double) count[k] / n, tolW = 4 * Math.sqrt(W[k] * (1 - W[k]) / n);   // weights: measured within pure MC error
            sb.append(String.format(" | w%d %+.4f (tol %.4f)", k, w - W[k], tolW));
            assertEquals(W[k], w, tolW, name + " weight of component " + k);
            for (int j = 0; j < 2; j++) {
                double m = sum[k][j] / count[k], s = Math.sqrt(sq[k][j] / count[k] - m * m);
                double tolM = 4 * S[k][j] / Math.sqrt(count[k]) + bias * S[k][j], tolS = 4 * S[k][j] / Math.sqrt(2.0 * count[k]) + bias * S[k][j];
                sb.append(String.format(" m%+.4f s%+.4f", m - MU[k][j], s - S[k][j]));
                assertEquals(MU[k][j], m, tolM, name + " mean of component " + k + " dim " + j);
                assertEquals(S[k][j], s, tolS, name + " std of component " + k + " dim " + j);
            }
        }
        System.out.println(sb);
    }

    static Tensor noise(long seed) { return Tensor.randn(new Generator(seed), DType.F64, Device.CPU, N, 2); }

    @Test
    void ancestralSamplersReproduceTheMixture() {
        NoiseSchedule base = NoiseSchedule.linear(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.LEARNED_RANGE).respaced("250");
        check("ddpm 250 learned-range", new DdpmSampler(d).sample(oracle(base, d), noise(1), null, new Generator(2), null).toDoubleArray(), 0.05);
        GaussianDiffusion full = new GaussianDiffusion(base, Parameterization.X0, VarianceType.FIXED_SMALL);
        check("euler-ancestral 250", new KarrasSampler(full, KarrasSampler.Method.EULER_ANCESTRAL, 250).sample(oracle(base, full), noise(3), null, new Generator(4), null).toDoubleArray(), 0.05);
    }

    @Test
    void odeSamplersReproduceTheMixture() {
        NoiseSchedule base = NoiseSchedule.cosine(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.V, VarianceType.FIXED_SMALL).respaced("100");
        check("ddim 100", new DdimSampler(d, 0).sample(oracle(base, d), noise(5), null, new Generator(0), null).toDoubleArray(), 0.05);
        GaussianDiffusion full = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Object[][] runs = {{KarrasSampler.Method.EULER, 400}, {KarrasSampler.Method.HEUN, 60}, {KarrasSampler.Method.DPMPP_2M, 80}};
        for (Object[] r : runs) {
            KarrasSampler.Method m = (KarrasSampler.Method) r[0];
            int steps = (Integer) r[1];
            check(m + " " + steps, new KarrasSampler(full, m, steps).sample(oracle(base, full), noise(6), null, new Generator(0), null).toDoubleArray(), 0.05);
        }
    }
}
