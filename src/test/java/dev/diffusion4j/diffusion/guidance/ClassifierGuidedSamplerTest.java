package dev.diffusion4j.diffusion.guidance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdimSampler;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sampler-side hook against closed forms: a classifier with linear logits W x, whose log-probability gradient is
 * grad_x log p(y | x) = W_y - sum_k p_k W_k, and a model that predicts eps = 0, so the first reverse step is known
 * exactly with and without guidance.
 */
class ClassifierGuidedSamplerTest {
    static final int N = 3, D = 4, T = 10;
    static final double[][] W = {{0.8, -0.3, 0.5, 0.1}, {-0.2, 0.6, -0.4, 0.9}};
    static final double S = 1.7;
    final NoiseSchedule schedule = NoiseSchedule.of(NoiseSchedule.Kind.LINEAR, T);
    final GaussianDiffusion diffusion = new GaussianDiffusion(schedule, Parameterization.EPS, VarianceType.FIXED_SMALL);
    final Denoiser zeroEps = (x, t, cond) -> x.mul(0.0);
    final ClassifierGuidance guidance = new ClassifierGuidance(ClassifierGuidance.fromLogits((x, t, cond) ->
            x.reshape(x.shape(0), D).matmul(Tensor.of(flat(W), 2, D).to(x.dtype()).transpose(0, 1)), "y"), S);
    final long[] y = {0, 1, 0};
    final Conditioning cond = Conditioning.of("y", Tensor.ofLongs(y, N));
    final Tensor xT = Tensor.randn(new Generator(3), DType.F64, Device.CPU, N, 1, 2, 2);

    static double[] flat(double[][] m) {
        double[] f = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
        return f;
    }

    /** s (W_y - sum_k p_k W_k) for each sample of xT. */
    double[][] expectedGradient() {
        double[] x = xT.toDoubleArray();
        double[][] g = new double[N][D];
        for (int n = 0; n < N; n++) {
            double l0 = 0, l1 = 0;
            for (int d = 0; d < D; d++) { l0 += W[0][d] * x[n * D + d]; l1 += W[1][d] * x[n * D + d]; }
            double p0 = 1 / (1 + Math.exp(l1 - l0)), p1 = 1 - p0;
            for (int d = 0; d < D; d++) g[n][d] = S * (W[(int) y[n]][d] - p0 * W[0][d] - p1 * W[1][d]);
        }
        return g;
    }

    double[] firstStep(Sampler s, Denoiser model) {
        List<Tensor> states = new ArrayList<>();
        s.sample(model, xT, cond, new Generator(11), step -> states.add(step.x()));
        return states.get(0).toDoubleArray();
    }

    @Test void ddpmMovesTheFirstMeanByTheVarianceTimesTheScaledGradient() {
        DdpmSampler ddpm = new DdpmSampler(diffusion);
        double[] plain = firstStep(ddpm, zeroEps);
        double[] guided = firstStep(new ClassifierGuidedSampler(ddpm, guidance, schedule, Parameterization.EPS), zeroEps);
        // posterior variance at t = T-1: beta_t (1 - ab_{t-1}) / (1 - ab_t)
        double ab = schedule.alphaBar(T - 1), abPrev = schedule.alphaBar(T - 2), beta = 1 - ab / abPrev;
        double variance = beta * (1 - abPrev) / (1 - ab);
        double[][] g = expectedGradient();
        for (int n = 0; n < N; n++)
            for (int d = 0; d < D; d++)
                assertEquals(variance * g[n][d], guided[n * D + d] - plain[n * D + d], 1e-12, "sample " + n + " dim " + d);
    }

    @Test void ddimUsesTheEpsShiftForm() {
        double[] guided = firstStep(new ClassifierGuidedSampler(new DdimSampler(diffusion, 0), guidance, schedule, Parameterization.EPS), zeroEps);
        // eps' = 0 - sqrt(1 - ab) g; x0 = (x - sqrt(1 - ab) eps') / sqrt(ab); x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev) eps'
        double ab = schedule.alphaBar(T - 1), abPrev = schedule.alphaBar(T - 2);
        double[] x = xT.toDoubleArray();
        double[][] g = expectedGradient();
        for (int n = 0; n < N; n++)
            for (int d = 0; d < D; d++) {
                double eps = -Math.sqrt(1 - ab) * g[n][d];
                double x0 = (x[n * D + d] - Math.sqrt(1 - ab) * eps) / Math.sqrt(ab);
                assertEquals(Math.sqrt(abPrev) * x0 + Math.sqrt(1 - abPrev) * eps, guided[n * D + d], 1e-12, "sample " + n + " dim " + d);
            }
    }

    @Test void scaleZeroChangesNothing() {
        var off = new ClassifierGuidance(ClassifierGuidance.fromLogits((x, t, c) -> x.reshape(x.shape(0), D).matmul(Tensor.of(flat(W), 2, D).transpose(0, 1)), "y"), 0);
        DdpmSampler ddpm = new DdpmSampler(diffusion);
        double[] plain = firstStep(ddpm, zeroEps), guided = firstStep(new ClassifierGuidedSampler(ddpm, off, schedule, Parameterization.EPS), zeroEps);
        for (int i = 0; i < plain.length; i++) assertEquals(plain[i], guided[i], 0);
    }
}
