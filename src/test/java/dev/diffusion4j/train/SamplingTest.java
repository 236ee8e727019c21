package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.guidance.ClassifierFreeGuidance;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Class-row grids, guidance selection and the grid settings of SampleConfig. */
class SamplingTest {
    @Test
    void classRowsGiveEachClassAWholeRow() {
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, Sampling.classRows(2, 7));
        assertEquals(12, Sampling.perClass(5, 64));
        long[] five = Sampling.classRows(5, 64);
        assertEquals(60, five.length);
        for (int i = 0; i < five.length; i++) assertEquals(i / 12, five[i]);
        assertArrayEquals(new long[] {0, 1, 2}, Sampling.classRows(3, 2), "fewer images than classes: one per class");
        assertThrows(IllegalArgumentException.class, () -> Sampling.classRows(0, 4));
    }

    @Test
    void classCycleGivesExactlyCountLabelsInLabelOrder() {
        assertArrayEquals(new long[] {0, 1, 2}, Sampling.classCycle(5, 3), "fewer images than classes: the first classes");
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1, 0}, Sampling.classCycle(2, 7));
        long[] five = Sampling.classCycle(5, 64);
        assertEquals(64, five.length);
        for (int i = 0; i < 60; i++) assertEquals(i / 12, five[i]);
        for (int i = 60; i < 64; i++) assertEquals(0, five[i], "the remainder starts again at class 0");
        assertThrows(IllegalArgumentException.class, () -> Sampling.classCycle(0, 4));
    }

    @Test
    void guidanceWrapsOnlyClassConditionalModelsAndOnlyWhenItChangesSomething() {
        UNetConfig plain = ModelPresets.unet("tiny").withInput(3, 8);
        Denoiser d = (x, t, c) -> x;
        assertSame(d, Sampling.guided(d, plain, 3));
        UNetConfig cond = plain.withClasses(5);
        assertSame(d, Sampling.guided(d, cond, 1));
        assertInstanceOf(ClassifierFreeGuidance.class, Sampling.guided(d, cond, 3));
    }

    @Test
    void guidedOutputExtrapolatesFromTheNullClassTowardsTheLabel() {
        // a toy denoiser whose output is the label: guidance gives null + w (label - null), null being class 5
        Denoiser echo = (x, t, c) -> {
            Tensor y = c.get(NetworkDenoiser.LABEL).to(dev.diffusion4j.engine.DType.F32);
            return y.reshape(y.shape(0), 1, 1, 1).expand(x.shape()).contiguous();
        };
        UNetConfig cond = ModelPresets.unet("tiny").withInput(1, 8).withClasses(5);
        Denoiser g = Sampling.guided(echo, cond, 3);
        Tensor x = Tensor.randn(new Generator(0), 2, 1, 2, 2);
        Conditioning labels = Sampling.labels(new long[] {0, 4}, Device.CPU);
        float[] out = g.apply(x, Tensor.ofLongs(new long[] {10, 10}, 2), labels).toFloatArray();
        for (int i = 0; i < 4; i++) assertEquals(5 + 3 * (0 - 5), out[i], 1e-5);
        for (int i = 4; i < 8; i++) assertEquals(5 + 3 * (4 - 5), out[i], 1e-5);
    }

    @Test
    void gridScaleAutoMakesCellsAtLeast64PixelsAndSettingsSurviveJson() {
        SampleConfig auto = SampleConfig.defaults();
        assertEquals(4, auto.gridScaleFor(16, 16));
        assertEquals(3, auto.gridScaleFor(28, 28));
        assertEquals(2, auto.gridScaleFor(32, 32));
        assertEquals(1, auto.gridScaleFor(64, 64));
        assertEquals(1, auto.gridScaleFor(256, 256));
        SampleConfig fixed = new SampleConfig("dpm++2m", 20, 0, 10, 7, true, 2.5, 1);
        assertEquals(1, fixed.gridScaleFor(16, 16));
        SampleConfig back = SampleConfig.fromJson(Json.parseObject(Json.write(fixed.toJson())));
        assertEquals(fixed, back);
        // a run folder written before these settings existed reads with the defaults
        SampleConfig old = SampleConfig.fromJson(Map.of("sampler", "ddim", "steps", 50, "count", 64, "seed", 1234));
        assertEquals(SampleConfig.DEFAULT_GUIDANCE, old.guidance());
        assertEquals(SampleConfig.AUTO_SCALE, old.gridScale());
        assertThrows(IllegalArgumentException.class, () -> new SampleConfig("ddim", 50, 0, 64, 1, true, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SampleConfig("ddim", 50, 0, 64, 1, true, 3, -2));
    }

    /** Latent samples (x0 clipping off) keep their range; pixel samples end in [-1, 1]. */
    @Test
    void latentSamplesAreNotClampedPixelSamplesAre() {
        UNetConfig mc = (UNetConfig) ModelPresets.get("tiny");
        var diffusion = new dev.diffusion4j.diffusion.GaussianDiffusion(dev.diffusion4j.diffusion.NoiseSchedule.linear(100),
                dev.diffusion4j.diffusion.Parameterization.EPS, dev.diffusion4j.diffusion.VarianceType.FIXED_SMALL);
        Denoiser zeroEps = (x, t, c) -> Tensor.zeros(x.shape());   // x0^ = x_t / sqrt(ab): the noise scaled up, well past 1
        for (boolean clip : new boolean[] {true, false}) {
            SampleConfig sc = new SampleConfig("ddim", 5, 0.0, 2, 3, clip);
            float[] v = Sampling.sample(zeroEps, diffusion, sc, mc, Device.CPU, 2, null, null).toFloatArray();
            float max = 0;
            for (float f : v) max = Math.max(max, Math.abs(f));
            if (clip) assertTrue(max <= 1f, "pixels end in [-1, 1], max " + max);
            else assertTrue(max > 1.5f, "latents keep their range, max " + max);
        }
    }
}
