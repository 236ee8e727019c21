package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * What a graphed training step computes: coefficients gathered where t lives equal the host's lookup (same rounding,
 * same shape), and a loss at timesteps drawn beforehand equals the sampler-driven loss of the same draw, bit for bit,
 * with the generator left in the same place.
 */
class TrainingLossAtTest {
    private final GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.cosine(1000), Parameterization.EPS, VarianceType.FIXED_SMALL);

    @Test
    void gatheredCoefficientsEqualTheHostLookup() {
        long[] ts = {0, 999, 17, 17, 500, 3};
        Tensor known = GaussianDiffusion.timesteps(ts, Device.CPU), plain = Tensor.ofLongs(ts, ts.length);
        for (DType type : new DType[] {DType.F32, DType.F64}) {
            Tensor like = Tensor.zeros(6, 2, 3, 3).to(type);
            for (double[] table : new double[][] {d.schedule().sqrtAlphaBar, d.schedule().sqrtOneMinusAlphaBar, d.schedule().posteriorVariance}) {
                Tensor host = d.coef(table, known, like), gathered = d.gatheredCoef(table, plain, like);
                assertArrayEquals(new int[] {6, 1, 1, 1}, gathered.shape());
                assertEquals(type, gathered.dtype());
                assertArrayEquals(host.toDoubleArray(), gathered.toDoubleArray(), 0);
                assertEquals(table[999], gathered.toDoubleArray()[1], type == DType.F64 ? 0 : 1e-7);
            }
        }
    }

    @Test
    void aLossAtTimestepsDrawnBeforeIsTheSamplersLossOfThatDraw() {
        Denoiser model = (xt, t, cond) -> xt.mul(0.25).add(0.01);
        LossConfig cfg = LossConfig.simple().withWeighting(LossWeighting.minSnr(5)).withOffsetNoise(0.1);
        Tensor x0 = Tensor.randn(new Generator(11), 4, 3, 5, 5);
        TimestepSampler uniform = TimestepSampler.uniform(d.steps());

        Generator a = new Generator(21, 6);
        double expected = d.trainingLoss(model, x0, null, uniform, a, cfg).item();

        Generator b = new Generator(21, 6);
        Tensor t = uniform.sample(4, b).timesteps(Device.CPU);
        double at = d.trainingLossAt(model, x0, t, null, b, cfg).item();
        assertEquals(expected, at, 0);
        assertEquals(a.offset(), b.offset());
    }
}
