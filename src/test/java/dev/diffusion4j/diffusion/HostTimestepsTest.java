package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Timesteps made by this package are read from their host copy; others from their device; the values are the same. */
class HostTimestepsTest {
    @Test
    void uploadedTimestepsAreReadFromTheirHostCopy() {
        long[] v = {3, 999, 0, 500};
        Tensor t = GaussianDiffusion.timesteps(v, Device.CPU);
        assertArrayEquals(v, t.toLongArray());
        assertSame(v, HostTimesteps.of(t));
        Tensor other = Tensor.ofLongs(new long[] {1, 2}, 2);
        assertArrayEquals(new long[] {1, 2}, HostTimesteps.of(other));
    }

    @Test
    void samplerAndRespacedTimestepsAreKnownOnTheHost() {
        Tensor like = Tensor.zeros(3, 1, 2, 2);
        Tensor t = GaussianDiffusion.timesteps(3, 7, like);
        assertArrayEquals(new long[] {7, 7, 7}, HostTimesteps.of(t));
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.linear(1000), Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("10");
        Tensor m = d.modelTimesteps(GaussianDiffusion.timesteps(new long[] {0, 9}, Device.CPU));
        long[] mapped = HostTimesteps.of(m);
        assertArrayEquals(m.toLongArray(), mapped);
        assertArrayEquals(new long[] {d.modelTimestep(0), d.modelTimestep(9)}, mapped);
        TimestepSampler.Draw draw = new TimestepSampler.Draw(new long[] {4, 5}, new double[] {1, 1});
        assertSame(draw.t(), HostTimesteps.of(draw.timesteps(Device.CPU)));
    }
}
