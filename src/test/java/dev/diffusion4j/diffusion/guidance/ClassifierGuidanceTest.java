package dev.diffusion4j.diffusion.guidance;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdimSampler;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.KarrasSampler;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Classifier guidance with the exact Bayes classifier p(y | x_t) of a two-class Gaussian mixture (its log posterior
 * written in engine ops, so the gradient comes from autograd). grad log p(y | x_t) is exactly score_y - score_uncond,
 * so at scale s the eps-shifted unconditional model is exactly CFG at w = s, and at s = 1 exactly the conditional model.
 */
class ClassifierGuidanceTest {
    static final double[][] MU = {{-0.6, 0.2}, {0.6, 0.2}};
    static final double[][][] COV = {GaussianOracle.diag(0.5, 0.4), GaussianOracle.diag(0.5, 0.4)};
    static final double[] W = {0.3, 0.7};

    static GaussianOracle oracle(NoiseSchedule base, GaussianDiffusion d) { return new GaussianOracle(W, MU, COV, base, d); }

    static ClassifierGuidance.LogLikelihood bayes(GaussianOracle o) {
        return (xt, t, cond) -> o.logPosterior(xt, t, cond.get(GaussianOracle.LABEL).toLongArray());
    }

    static Tensor noise(long seed, int n) { return Tensor.randn(new Generator(seed), DType.F64, Device.CPU, n, 2); }

    @Test
    void epsShiftWithTheBayesClassifierIsExactlyTheConditionalModelAndCfg() {
        NoiseSchedule base = NoiseSchedule.linear(1000);
        int n = 300;
        Conditioning cond = GaussianOracle.labels(n, 0);   // the minority class
        double worst = 0;
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion full = new GaussianDiffusion(base, p, VarianceType.FIXED_LARGE);
            GaussianDiffusion d50 = full.respaced("50");
            GaussianDiffusion ddim = full.respaced("ddim25");
            Sampler[] samplers = {new DdpmSampler(d50), new DdimSampler(ddim, 0.5), new KarrasSampler(full, KarrasSampler.Method.DPMPP_2M, 20),
                new KarrasSampler(full, KarrasSampler.Method.EULER_ANCESTRAL, 20)};
            GaussianDiffusion[] ds = {d50, ddim, full, full};
            for (int k = 0; k < samplers.length; k++) {
                GaussianOracle o = oracle(base, ds[k]);
                Denoiser uncond = (x, t, c) -> o.apply(x, t, null);
                for (double s : new double[] {1, 3}) {
                    Denoiser guided = new ClassifierGuidance(bayes(o), s).guide(uncond, base, p);
                    Denoiser reference = s == 1 ? o : new ClassifierFreeGuidance(o, NullCondition.label(GaussianOracle.LABEL, 2), s);
                    double[] a = samplers[k].sample(guided, noise(1, n), cond, new Generator(2), null).toDoubleArray();
                    double[] b = samplers[k].sample(reference, noise(1, n), cond, new Generator(2), null).toDoubleArray();
                    double diff = Moments.maxAbsDiff(a, b);
                    worst = Math.max(worst, diff);
                    assertTrue(diff < 1e-9, samplers[k].getClass().getSimpleName() + " " + p + " s=" + s + ": " + diff);
                }
            }
        }
        System.out.printf("classifier guidance (eps shift) vs conditional model / CFG: worst path difference %.1e%n", worst);
    }

    @Test
    void meanShiftAtScaleOneConvergesToTheConditionalClassAtFirstOrder() {
        // Dhariwal & Nichol's ancestral update, mean + s Sigma grad, is a first-order approximation of the conditional
        // reverse step. With common random numbers (same noise, same generator) its paths are compared with ancestral
        // sampling of the exact conditional model: no Monte-Carlo error, and the gap must halve when the steps double.
        NoiseSchedule base = NoiseSchedule.linear(1000);
        int n = 2_000;
        Conditioning cond = GaussianOracle.labels(n, 0);
        double[] rms = new double[2];
        for (int r = 0; r < 2; r++) {
            GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced(String.valueOf(250 << r));
            GaussianOracle o = oracle(base, d);
            Denoiser uncond = (x, t, c) -> o.apply(x, t, null);
            DdpmSampler guided = new DdpmSampler(d).withMeanShift(new ClassifierGuidance(bayes(o), 1).meanShift());
            double[] x = guided.sample(uncond, noise(3, n), cond, new Generator(4), null).toDoubleArray();
            double[] y = new DdpmSampler(d).sample(o, noise(3, n), cond, new Generator(4), null).toDoubleArray();
            rms[r] = Moments.rms(x, y);
            double[] x0 = Moments.column(x, 2, 0), y0 = Moments.column(y, 2, 0);
            System.out.printf("classifier mean shift, ddpm %d steps: path RMS vs exact conditional %.4f; dim 0 mean %.4f vs %.4f, std %.4f vs %.4f%n",
                    d.steps(), rms[r], Moments.mean(x0), Moments.mean(y0), Moments.std(x0), Moments.std(y0));
            assertEquals(Moments.mean(y0), Moments.mean(x0), 2 * rms[r], "guided mean near the conditional one");
            assertEquals(Moments.std(y0), Moments.std(x0), 2 * rms[r], "guided std near the conditional one");
            // the exact conditional chain itself draws the class: 4 standard errors
            assertEquals(MU[0][0], Moments.mean(y0), 4 * 0.5 / Math.sqrt(n));
        }
        // measured 0.028 at 250 steps and 0.0145 at 500 (n = 2000)
        assertTrue(rms[1] / rms[0] > 0.4 && rms[1] / rms[0] < 0.6 && rms[1] < 0.03, "first-order convergence: " + rms[0] + " -> " + rms[1]);
    }

    @Test
    void classifierParametersAreNotTouchedAndLogitsWork() {
        NoiseSchedule base = NoiseSchedule.linear(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("ddim20");
        GaussianOracle o = oracle(base, d);
        Tensor temperature = Tensor.scalar(1, DType.F64, Device.CPU).requiresGrad(true);   // a "parameter" of the classifier
        ClassifierGuidance.Classifier classifier = (xt, t, cond) -> {
            int n = xt.shape(0);
            Tensor[] cols = new Tensor[2];
            for (int k = 0; k < 2; k++) {
                long[] lab = new long[n];
                java.util.Arrays.fill(lab, k);
                cols[k] = o.logPosterior(xt, t, lab).reshape(n, 1);
            }
            return Tensor.cat(1, cols).mul(temperature);
        };
        int n = 200;
        Conditioning cond = GaussianOracle.labels(n, 1);
        Denoiser uncond = (x, t, c) -> o.apply(x, t, null);
        DdimSampler ddim = new DdimSampler(d, 0);
        double[] viaLogits = ddim.sample(new ClassifierGuidance(ClassifierGuidance.fromLogits(classifier, GaussianOracle.LABEL), 2)
                .guide(uncond, base, Parameterization.EPS), noise(5, n), cond, new Generator(0), null).toDoubleArray();
        double[] direct = ddim.sample(new ClassifierGuidance(bayes(o), 2).guide(uncond, base, Parameterization.EPS), noise(5, n), cond, new Generator(0), null)
                .toDoubleArray();
        assertTrue(Moments.maxAbsDiff(viaLogits, direct) < 1e-10, "log softmax of logits = log posterior");
        assertNull(temperature.grad(), "guidance must not accumulate gradients into the classifier");
        assertThrows(IllegalArgumentException.class, () -> ClassifierGuidance.fromLogits(classifier, "missing").apply(noise(0, 2), Tensor.ofLongs(new long[2], 2), cond));
    }
}
