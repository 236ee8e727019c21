package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import org.junit.jupiter.api.Test;

class TimestepSamplerTest {
    @Test
    void uniformDrawsEveryStepEquallyWithUnitWeights() {
        TimestepSampler.Draw d = TimestepSampler.uniform(10).sample(50_000, new Generator(1));
        int[] c = new int[10];
        for (long t : d.t()) c[(int) t]++;
        // each count is Binomial(50000, 0.1): sd 67; allow 4 sd
        for (int k = 0; k < 10; k++) assertEquals(5000, c[k], 4 * 67);
        for (double w : d.weights()) assertEquals(1, w);
    }

    @Test
    void lossSecondMomentSamplerWarmsUpThenSamplesBySqrtOfTheMeanSquaredLoss() {
        int steps = 20;
        LossSecondMomentSampler s = TimestepSampler.lossSecondMoment(steps);
        // before every t has 10 losses: uniform
        for (int t = 0; t < steps; t++) for (int k = 0; k < (t == 7 ? 9 : 10); k++) s.update(new long[] {t}, new double[] {t + 1});
        assertFalse(s.warmedUp());
        for (double p : s.probabilities()) assertEquals(1.0 / steps, p, 1e-15);
        s.update(new long[] {7}, new double[] {8});
        assertTrue(s.warmedUp());
        // losses at t are all t + 1, so sqrt(E[L^2]) = t + 1; p = (1 - 0.001) (t+1)/sum + 0.001/T
        double sum = steps * (steps + 1) / 2.0;
        double[] p = s.probabilities();
        for (int t = 0; t < steps; t++) assertEquals(0.999 * (t + 1) / sum + 0.001 / steps, p[t], 1e-15);
        // the history keeps the last 10: ten new losses of 3 at t = 0 replace the ones
        for (int k = 0; k < 10; k++) s.update(new long[] {0}, new double[] {k < 9 ? 100 : 3});
        for (int k = 0; k < 9; k++) s.update(new long[] {0}, new double[] {3});
        assertEquals(s.probabilities()[2], s.probabilities()[0], 1e-15, "t = 0 now looks like t = 2");

        int n = 100_000;
        TimestepSampler.Draw d = s.sample(n, new Generator(2));
        p = s.probabilities();
        int[] c = new int[steps];
        for (int i = 0; i < n; i++) {
            c[(int) d.t()[i]]++;
            assertEquals(1 / (steps * p[(int) d.t()[i]]), d.weights()[i], 1e-12, "importance weight");
        }
        for (int t = 0; t < steps; t++) assertEquals(n * p[t], c[t], 4 * Math.sqrt(n * p[t] * (1 - p[t])) + 1, "frequency of t = " + t);
        // weights make the estimate unbiased: E[w L] under p equals the uniform mean of L
        double est = 0, uniform = 0;
        for (int i = 0; i < n; i++) est += d.weights()[i] * (d.t()[i] + 1) / n;
        for (int t = 0; t < steps; t++) uniform += (t + 1.0) / steps;
        assertEquals(uniform, est, 0.05);
    }

    @Test
    void stateRoundTripsForResume() {
        LossSecondMomentSampler a = TimestepSampler.lossSecondMoment(5);
        Generator g = new Generator(3);
        for (int k = 0; k < 60; k++) a.update(new long[] {g.nextInt(5)}, new double[] {g.nextDouble() * 4});
        assertTrue(a.warmedUp());
        LossSecondMomentSampler b = TimestepSampler.lossSecondMoment(5);
        b.restore(LossSecondMomentSampler.State.fromArray(a.state().toArray(), 5));
        assertArrayEquals(a.probabilities(), b.probabilities(), 0);
        TimestepSampler.Draw da = a.sample(100, new Generator(9)), db = b.sample(100, new Generator(9));
        assertArrayEquals(da.t(), db.t());
        assertArrayEquals(da.weights(), db.weights(), 0);
        // NaN losses are ignored rather than poisoning p(t)
        b.update(new long[] {1}, new double[] {Double.NaN});
        assertArrayEquals(a.probabilities(), b.probabilities(), 0);
        assertThrows(IllegalArgumentException.class, () -> TimestepSampler.lossSecondMoment(6).restore(a.state()));
    }
}
