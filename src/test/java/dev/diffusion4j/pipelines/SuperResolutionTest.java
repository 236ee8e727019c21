package dev.diffusion4j.pipelines;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.KarrasSampler;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.diffusion.guidance.Moments;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Super-resolution conditioning: upsampling, noise-conditioning augmentation, channel concatenation. */
class SuperResolutionTest {
    static Tensor lowRes(int n, int c, int h, int w) { return Tensor.rand(new Generator(1), DType.F64, Device.CPU, n, c, h, w).mul(2.0).sub(1.0); }

    @Test
    void levelZeroIsTheBilinearUpsampleAndLevelsAddTheirNoise() {
        Tensor low = lowRes(4, 3, 4, 4);
        Tensor up = F.upsampleBilinear(low, 16, 16);
        Conditioning clean = SuperResolution.condition(low, 16, 16, 0, new Generator(2));
        assertArrayEquals(up.toDoubleArray(), clean.get(SuperResolution.LOW_RES).toDoubleArray(), 0);
        assertArrayEquals(new double[4], clean.get(SuperResolution.AUG_LEVEL).toDoubleArray(), 0);
        assertEquals(1.0, SuperResolution.augmentationAlphaBar(0));
        assertEquals(0.5, SuperResolution.augmentationAlphaBar(0.5), 1e-15);
        assertEquals(0.0, SuperResolution.augmentationAlphaBar(1), 1e-15);

        // level 0.5 (alpha_bar 1/2): the residual (cond - sqrt(ab) up) / sqrt(1 - ab) is unit noise
        Tensor noisy = SuperResolution.condition(low, 16, 16, 0.5, new Generator(3)).get(SuperResolution.LOW_RES);
        double[] z = noisy.sub(up.mul(Math.sqrt(0.5))).div(Math.sqrt(0.5)).toDoubleArray();
        int n = z.length;
        System.out.printf("augmentation residual: mean %+.4f std %.4f over %d values%n", Moments.mean(z), Moments.std(z), n);
        assertEquals(0, Moments.mean(z), 4 / Math.sqrt(n));
        assertEquals(1, Moments.std(z), 4 / Math.sqrt(2.0 * n));
        assertThrows(IllegalArgumentException.class, () -> SuperResolution.condition(low, 16, 16, 1.5, new Generator(0)));
    }

    @Test
    void trainingLevelsAreUniformPerSampleAndMatchTheirNoise() {
        int n = 16;
        Tensor low = lowRes(n, 1, 8, 8);
        Tensor up = F.upsampleBilinear(low, 32, 32);
        Conditioning c = SuperResolution.trainingCondition(low, 32, 32, 0.6, new Generator(4));
        double[] lv = c.get(SuperResolution.AUG_LEVEL).toDoubleArray();
        Tensor cond = c.get(SuperResolution.LOW_RES);
        for (int i = 0; i < n; i++) {
            assertTrue(lv[i] >= 0 && lv[i] <= 0.6, "level " + lv[i]);
            double ab = SuperResolution.augmentationAlphaBar(lv[i]);
            double[] r = cond.select(0, i).sub(up.select(0, i).mul(Math.sqrt(ab))).toDoubleArray();
            double sd = Moments.std(r), want = Math.sqrt(1 - ab);
            assertEquals(want, sd, 4 * want / Math.sqrt(2.0 * r.length), "noise of sample " + i + " at level " + lv[i]);
        }
        assertArrayEquals(lv, SuperResolution.trainingCondition(low, 32, 32, 0.6, new Generator(4)).get(SuperResolution.AUG_LEVEL).toDoubleArray(), 0);
    }

    @Test
    void theModelSeesTheLowResolutionImageAsExtraChannels() {
        Tensor low = lowRes(2, 3, 4, 4);
        Conditioning c = SuperResolution.condition(low, 8, 8, 0.2, new Generator(5));
        Tensor[] seen = new Tensor[2];
        Denoiser inner = (x, t, cond) -> { seen[0] = x; seen[1] = cond.get(SuperResolution.AUG_LEVEL); return x.slice(1, 0, 3); };
        Tensor xt = Tensor.randn(new Generator(6), DType.F64, Device.CPU, 2, 3, 8, 8);
        Tensor out = SuperResolution.concatenating(inner).apply(xt, Tensor.ofLongs(new long[2], 2), c);
        assertArrayEquals(new int[] {2, 6, 8, 8}, seen[0].shape());
        assertArrayEquals(xt.toDoubleArray(), out.toDoubleArray(), 0);
        assertArrayEquals(c.get(SuperResolution.LOW_RES).toDoubleArray(), seen[0].slice(1, 3, 6).toDoubleArray(), 0);
        assertArrayEquals(new double[] {0.2, 0.2}, seen[1].toDoubleArray(), 1e-15);
        Denoiser sr = SuperResolution.concatenating(inner);
        assertThrows(IllegalArgumentException.class, () -> sr.apply(xt, Tensor.ofLongs(new long[2], 2), null));
        Conditioning wrongSize = SuperResolution.condition(low, 16, 16, 0, new Generator(0));
        assertThrows(IllegalArgumentException.class, () -> sr.apply(xt, Tensor.ofLongs(new long[2], 2), wrongSize));
    }

    @Test
    void samplingWithTheExactConditionalModelReproducesTheUpsampledMean() {
        // data: x | low ~ N(up(low), s^2) per pixel; its exact denoiser reads the mean from the extra channels
        double s = 0.1;
        NoiseSchedule base = NoiseSchedule.linear(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
        Denoiser exact = (x, t, cond) -> {
            Tensor xt = x.slice(1, 0, 1), m = x.slice(1, 1, 2);
            double ab = base.alphaBarAt(t.toDoubleArray()[0]), a = Math.sqrt(ab), b2 = 1 - ab;
            Tensor x0 = m.add(xt.sub(m.mul(a)).mul(a * s * s / (ab * s * s + b2)));
            return xt.sub(x0.mul(a)).div(Math.sqrt(b2));
        };
        int n = 256;
        Tensor one = lowRes(1, 1, 2, 2);
        Tensor low = one.expand(n, 1, 2, 2).contiguous();
        Conditioning c = SuperResolution.condition(low, 4, 4, 0, new Generator(7));
        Tensor x = new KarrasSampler(d, KarrasSampler.Method.HEUN, 30)
                .sample(SuperResolution.concatenating(exact), new int[] {n, 1, 4, 4}, DType.F64, Device.CPU, c, new Generator(8), null);
        double[] up = F.upsampleBilinear(one, 4, 4).toDoubleArray(), v = x.toDoubleArray();
        double worst = 0;
        for (int p = 0; p < 16; p++) {
            double[] col = new double[n];
            for (int i = 0; i < n; i++) col[i] = v[i * 16 + p];
            worst = Math.max(worst, Math.abs(Moments.mean(col) - up[p]) / (s / Math.sqrt(n)));
            assertEquals(up[p], Moments.mean(col), 4 * s / Math.sqrt(n), "pixel " + p + " mean");
            assertEquals(s, Moments.std(col), 4 * s / Math.sqrt(2.0 * n) + 0.02 * s, "pixel " + p + " std");
        }
        System.out.printf("super-resolution sampling: worst pixel mean error %.2f standard errors%n", worst);
    }
}
