package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A run's T is its diffusion config's one "steps" field: the schedule, the diffusion and the timestep sampler all read it. */
class DiffusionConfigStepsTest {
    @Test void everyTComesFromTheOneStepsField() {
        for (String sampler : new String[] {"uniform", "loss-second-moment"}) {
            DiffusionConfig c = new DiffusionConfig("linear", 40, false, "eps", "fixed-small", "simple", "l2", "none", 5.0, sampler, 0.0);
            assertEquals(40, c.noiseSchedule().steps());
            assertEquals(40, c.build().steps());
            assertEquals(40, c.newTimestepSampler().steps(), sampler);
        }
    }
}
