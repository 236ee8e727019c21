package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** T is stated once, by the schedule: training draws its timesteps from the schedule's T and refuses a sampler of another. */
class ScheduleTimestepsTest {
    private static final Denoiser ZERO = (x, t, cond) -> x.mul(0.0);

    @Test void withoutASamplerTrainingDrawsUniformlyOverTheSchedulesT() {
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.cosine(50), Parameterization.EPS, VarianceType.FIXED_SMALL);
        Tensor x0 = Tensor.randn(new Generator(3), 4, 1, 2, 2);
        double implicit = d.trainingLoss(ZERO, x0, null, new Generator(7), LossConfig.simple()).item();
        double explicit = d.trainingLoss(ZERO, x0, null, TimestepSampler.uniform(50), new Generator(7), LossConfig.simple()).item();
        assertEquals(explicit, implicit, 0.0, "the same draw as a uniform sampler over T = 50");
    }

    @Test void aSamplerBuiltForAnotherTIsRefused() {
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.cosine(50), Parameterization.EPS, VarianceType.FIXED_SMALL);
        Tensor x0 = Tensor.randn(new Generator(3), 2, 1, 2, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> d.trainingLoss(ZERO, x0, null, TimestepSampler.uniform(1000), new Generator(7), LossConfig.simple()));
        assertTrue(e.getMessage().contains("1000 timesteps but the schedule has 50"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> d.trainingLoss(ZERO, x0, null, TimestepSampler.lossSecondMoment(20), new Generator(7), LossConfig.simple()));
    }
}
