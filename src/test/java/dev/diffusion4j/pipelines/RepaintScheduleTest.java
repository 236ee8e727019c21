package dev.diffusion4j.pipelines;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RePaint's walk is the paper's jump schedule (its get_schedule_jump with one sample per step), checked by hand and by counting model calls. */
class RepaintScheduleTest {
    @Test
    void walkMatchesThePapersScheduleWorkedByHand() {
        // T = 10, L = 3, r = 2: jump points 0, 3, 6 (below T - L = 7), each jumped from once
        assertArrayEquals(new int[] {9, 8, 7, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, -1},
                RepaintSchedule.states(10, 3, 2));
        assertEquals(19, RepaintSchedule.modelCalls(10, 3, 2));
        // one resampling is the plain walk down; a jump as long as the schedule has no point to jump from
        assertArrayEquals(new int[] {4, 3, 2, 1, 0, -1}, RepaintSchedule.states(5, 2, 1));
        assertArrayEquals(new int[] {4, 3, 2, 1, 0, -1}, RepaintSchedule.states(5, 5, 7));
        // the paper's setting: T = 250, L = 10, r = 10 -> jump points 0..230 (24 of them), 250 + 24 * 9 * 10 steps down
        assertEquals(2410, RepaintSchedule.modelCalls(250, 10, 10));
        for (int[] c : new int[][] {{250, 10, 10}, {25, 10, 10}, {50, 10, 4}, {7, 3, 3}, {13, 4, 2}, {1, 1, 5}}) {
            int[] walk = RepaintSchedule.states(c[0], c[1], c[2]);
            int down = 0;
            for (int k = 1; k < walk.length; k++) {
                assertEquals(1, Math.abs(walk[k] - walk[k - 1]), "one level per move");
                if (walk[k] < walk[k - 1]) down++;
                assertTrue(walk[k] < c[0], "never above the start");
            }
            assertEquals(c[0] - 1, walk[0]);
            assertEquals(-1, walk[walk.length - 1]);
            assertEquals(RepaintSchedule.modelCalls(c[0], c[1], c[2]), down);
        }
        assertThrows(IllegalArgumentException.class, () -> RepaintSchedule.states(10, 0, 2));
    }

    @Test
    void repaintCallsTheModelOncePerStepDownAtThatStepsTimestep() {
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.linear(1000), Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("20");
        List<Long> calledAt = new ArrayList<>();
        Denoiser zero = (x, t, c) -> { calledAt.add(t.toLongArray()[0]); return x.mul(0.0); };
        Inpainting job = new Inpainting(Tensor.of(new double[] {1, 1, 1, 1, 1, 1}, 2, 3), Tensor.of(new double[] {1, 0, 1}, 1, 3));
        List<StepCallback.Step> seen = new ArrayList<>();
        Tensor out = job.repaint(new DdpmSampler(d), zero, 5, 3, null, new Generator(1), seen::add);
        // jump points 0, 5, 10 below 20 - 5: 20 + 3 * 2 * 5 calls
        assertEquals(50, calledAt.size());
        assertEquals(50, seen.size());
        int[] walk = RepaintSchedule.states(20, 5, 3);
        int k = 0;
        for (int i = 1; i < walk.length; i++) if (walk[i] < walk[i - 1]) assertEquals(d.modelTimestep(walk[i - 1]), calledAt.get(k++), "call " + k);
        assertEquals(49, seen.get(49).index());
        assertEquals(50, seen.get(0).total());
        double[] x = out.toDoubleArray();
        for (int r = 0; r < 2; r++) { assertEquals(1, x[3 * r], 0); assertEquals(1, x[3 * r + 2], 0); }
    }

    @Test
    void oneResamplingIsReplacementWithDdpmBitForBit() {
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.cosine(1000), Parameterization.EPS, VarianceType.FIXED_LARGE).respaced("15");
        Denoiser model = (x, t, c) -> x.mul(0.3).add(0.1);
        Inpainting job = new Inpainting(Tensor.randn(new Generator(5), DType.F64, Device.CPU, 4, 6), Tensor.of(new double[] {1, 1, 0, 0, 1, 0}, 1, 6));
        double[] a = job.repaint(new DdpmSampler(d), model, 4, 1, null, new Generator(9), null).toDoubleArray();
        double[] b = job.sample(new DdpmSampler(d), model, null, new Generator(9), null).toDoubleArray();
        assertArrayEquals(b, a, 0);
    }
}
