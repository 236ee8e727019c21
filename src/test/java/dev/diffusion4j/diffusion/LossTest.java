package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Training losses against direct computations, their gradients, and the weightings. */
class LossTest {
    static final NoiseSchedule SCHED = NoiseSchedule.cosine(200);
    static final long[] TS = {0, 3, 50, 120, 199};

    static Tensor t() { return Tensor.ofLongs(TS, TS.length); }

    /** A "model" that returns a fixed output, to test the loss as a function of the output. */
    static Denoiser constant(Tensor out) { return (x, t, c) -> out; }

    @Test
    void simpleLossesMatchDirectFormulas() {
        Tensor x0 = GradCheck.randn(1, TS.length, 3), noise = GradCheck.randn(2, TS.length, 3), out = GradCheck.randn(3, TS.length, 3);
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion d = new GaussianDiffusion(SCHED, p, VarianceType.FIXED_SMALL);
            double[] target = d.target(x0, noise, t()).toDoubleArray(), o = out.toDoubleArray();
            for (LossConfig.Distance dist : LossConfig.Distance.values()) {
                LossConfig cfg = LossConfig.simple().withDistance(dist).withHuberDelta(0.7);
                double[] loss = d.trainingLosses(constant(out), x0, t(), null, noise, cfg).loss().toDoubleArray();
                for (int i = 0; i < TS.length; i++) {
                    double s = 0;
                    for (int j = 0; j < 3; j++) {
                        double e = o[i * 3 + j] - target[i * 3 + j], a = Math.abs(e);
                        s += switch (dist) {
                            case L2 -> e * e;
                            case L1 -> a;
                            case HUBER -> a < 0.7 ? 0.5 * e * e : 0.7 * (a - 0.35);
                        };
                    }
                    assertEquals(s / 3, loss[i], 1e-12, p + " " + dist);
                }
            }
        }
    }

    @Test
    void weightingsFollowThePapers() {
        double snr = 3.7, gamma = 5;
        assertEquals(1, LossWeighting.minSnr(gamma).weight(snr, Parameterization.EPS), 1e-15);
        assertEquals(gamma / 20, LossWeighting.minSnr(gamma).weight(20, Parameterization.EPS), 1e-15);
        assertEquals(Math.min(snr, gamma), LossWeighting.minSnr(gamma).weight(snr, Parameterization.X0), 1e-15);
        assertEquals(Math.min(20, gamma) / 21, LossWeighting.minSnr(gamma).weight(20, Parameterization.V), 1e-15);
        assertEquals(1, LossWeighting.minSnr(gamma).weight(0, Parameterization.EPS), "finite at SNR 0");
        assertEquals(Math.pow(1 + snr, -0.5), LossWeighting.p2(0.5, 1).weight(snr, Parameterization.EPS), 1e-15);
        assertEquals(Math.pow(1 + snr, -1) * snr, LossWeighting.p2(1, 1).weight(snr, Parameterization.X0), 1e-15);
        assertEquals(1, LossWeighting.none().weight(snr, Parameterization.V));
        // applied per sample in the loss
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.V, VarianceType.FIXED_SMALL);
        Tensor x0 = GradCheck.randn(4, TS.length, 2), noise = GradCheck.randn(5, TS.length, 2), out = GradCheck.randn(6, TS.length, 2);
        double[] plain = d.trainingLosses(constant(out), x0, t(), null, noise, LossConfig.simple()).loss().toDoubleArray();
        double[] weighted = d.trainingLosses(constant(out), x0, t(), null, noise, LossConfig.simple().withWeighting(LossWeighting.minSnr(gamma))).loss().toDoubleArray();
        for (int i = 0; i < TS.length; i++) {
            double s = SCHED.snr((int) TS[i]);
            assertEquals(plain[i] * Math.min(s, gamma) / (s + 1), weighted[i], 1e-12);
        }
    }

    @Test
    void hybridLossTrainsTheMeanOnlyThroughLSimpleAndTheVarianceOnlyThroughTheBound() {
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.EPS, VarianceType.LEARNED_RANGE);
        Tensor x0 = GradCheck.randn(7, TS.length, 2).tanh(), noise = GradCheck.randn(8, TS.length, 2);
        Tensor out = GradCheck.randn(9, TS.length, 4).mul(0.5);
        Tensor o1 = out.detach().requiresGrad(true);
        LossTerms h = d.trainingLosses(constant(o1), x0, t(), null, noise, LossConfig.hybrid());
        h.loss().sum().backward();
        Tensor o2 = out.detach().requiresGrad(true);
        GaussianDiffusion dSimple = d.withVarianceType(VarianceType.FIXED_SMALL);
        dSimple.trainingLosses(constant(o2.slice(1, 0, 2)), x0, t(), null, noise, LossConfig.simple()).loss().sum().backward();
        double[] g1 = o1.grad().toDoubleArray(), g2 = o2.grad().toDoubleArray();
        for (int i = 0; i < TS.length; i++)
            for (int j = 0; j < 2; j++) assertEquals(g2[i * 4 + j], g1[i * 4 + j], 1e-12, "mean channels see only L_simple");
        boolean varianceMoves = false;
        for (int i = 0; i < TS.length; i++) for (int j = 2; j < 4; j++) varianceMoves |= g1[i * 4 + j] != 0;
        assertTrue(varianceMoves, "variance channels get the bound's gradient");
        // loss = simple + lambda T vb
        double[] loss = h.loss().toDoubleArray(), simple = h.simple().toDoubleArray(), vb = h.vb().toDoubleArray();
        for (int i = 0; i < TS.length; i++) assertEquals(simple[i] + 0.001 * 200 * vb[i], loss[i], 1e-12);
        // a learned variance needs the bound
        assertThrows(IllegalArgumentException.class, () -> d.trainingLosses(constant(out), x0, t(), null, noise, LossConfig.simple()));
    }

    @Test
    void lossGradientsPassFiniteDifferenceChecks() {
        Tensor x0 = GradCheck.randn(10, TS.length, 2).tanh(), noise = GradCheck.randn(11, TS.length, 2);
        GaussianDiffusion learned = new GaussianDiffusion(SCHED, Parameterization.V, VarianceType.LEARNED_RANGE);
        GradCheck.check("vlb learned-range", in -> learned.trainingLosses(constant(in[0]), x0, t(), null, noise, LossConfig.vlb()).loss(),
                GradCheck.randn(12, TS.length, 4).mul(0.3));
        // a short schedule keeps the decoder's variance (beta~_2) large enough that the summed loss stays O(1) and
        // central differences stay accurate (with cosine-200 the t = 0 row alone is ~1e9 and swamps them)
        GaussianDiffusion fixed = new GaussianDiffusion(NoiseSchedule.linear(10), Parameterization.X0, VarianceType.FIXED_LARGE)
                .withDecoder(GaussianDiffusion.Decoder.GAUSSIAN);
        Tensor shortT = Tensor.ofLongs(new long[] {0, 1, 4, 8, 9}, 5);
        GradCheck.check("vlb gaussian decoder", in -> fixed.trainingLosses(constant(in[0]), x0, shortT, null, noise, LossConfig.vlb()).loss(),
                GradCheck.randn(13, TS.length, 2));
        GradCheck.check("huber min-snr", in -> fixed.trainingLosses(constant(in[0]), x0, shortT, null, noise,
                LossConfig.simple().withDistance(LossConfig.Distance.HUBER).withHuberDelta(0.5).withWeighting(LossWeighting.minSnr(5))).loss(), GradCheck.randn(14, TS.length, 2));
    }

    @Test
    void offsetNoiseIsSharedOverSpatialDims() {
        Tensor x0 = Tensor.zeros(DType.F64, Device.CPU, 4000, 2, 3, 3);
        double[] n0 = GaussianDiffusion.trainingNoise(x0, new Generator(1), 0).toDoubleArray();
        double[] n1 = GaussianDiffusion.trainingNoise(x0, new Generator(1), 0.5).toDoubleArray();
        // same base draw, plus one offset per (sample, channel): the difference is constant over the 3x3 pixels
        double var = 0;
        for (int sc = 0; sc < 8000; sc++) {
            double off = n1[sc * 9] - n0[sc * 9];
            for (int p = 1; p < 9; p++) assertEquals(off, n1[sc * 9 + p] - n0[sc * 9 + p], 1e-12);
            var += off * off;
        }
        assertEquals(0.25, var / 8000, 4 * 0.25 * Math.sqrt(2.0 / 8000), "offset std 0.5");
    }

    @Test
    void trainingLossDrawsTimestepsAndFeedsTheSampler() {
        GaussianDiffusion d = new GaussianDiffusion(SCHED, Parameterization.EPS, VarianceType.FIXED_SMALL);
        LossSecondMomentSampler sampler = TimestepSampler.lossSecondMoment(200);
        Tensor x0 = GradCheck.randn(15, 64, 2);
        Tensor loss = d.trainingLoss((x, t, c) -> x.mul(0.5), x0, null, sampler, new Generator(3), LossConfig.simple());
        assertEquals(0, loss.rank());
        int seen = 0;
        for (int c : sampler.state().counts()) seen += c;
        assertEquals(64, seen, "every per-sample loss reaches the sampler");
    }
}
