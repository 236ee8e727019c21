package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class DiagonalGaussianTest {
    /** One sample, two latent channels, 1x2 pixels: means then log-variances along channels. */
    static Tensor moments() {
        return Tensor.of(new double[] {0.5, -1, 2, 0, /* logvar */ 0, Math.log(4), -40, 25}, 1, 4, 1, 2);
    }

    @Test
    void meanLogvarSplitAndClamp() {
        DiagonalGaussian q = new DiagonalGaussian(moments());
        assertArrayEquals(new double[] {0.5, -1, 2, 0}, q.mode().toDoubleArray());
        assertArrayEquals(new double[] {0, Math.log(4), -30, 20}, q.logvar().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {1, 2, Math.exp(-15), Math.exp(10)}, q.std().toDoubleArray(), 1e-9);
    }

    @Test
    void klToTheStandardNormalHasTheClosedForm() {
        // 0.5 * (mu^2 + var - 1 - logvar) per element
        double[] mu = {0.5, -1, 2, 0}, lv = {0, Math.log(4), -30, 20};
        double kl = 0;
        for (int i = 0; i < 4; i++) kl += 0.5 * (mu[i] * mu[i] + Math.exp(lv[i]) - 1 - lv[i]);
        DiagonalGaussian q = new DiagonalGaussian(moments());
        assertEquals(kl, q.klPerSample().item(), 1e-9 * kl);
        // batch of two identical samples: summed per sample, averaged over the batch
        assertEquals(kl, new DiagonalGaussian(Tensor.cat(0, moments(), moments())).regularization().item(), 1e-9 * kl);
        // N(0, I) itself: zero
        assertEquals(0, new DiagonalGaussian(Tensor.zeros(2, 6, 3, 3)).regularization().item(), 0);
    }

    @Test
    void sampleIsMeanPlusStdTimesTheGeneratorsNoise() {
        DiagonalGaussian q = new DiagonalGaussian(moments());
        double[] eps = Tensor.randn(new Generator(3), dev.diffusion4j.engine.DType.F64, dev.diffusion4j.engine.Device.CPU, 1, 2, 1, 2).toDoubleArray();
        double[] s = q.sample(new Generator(3)).toDoubleArray(), mu = q.mode().toDoubleArray(), sd = q.std().toDoubleArray();
        for (int i = 0; i < 4; i++) assertEquals(mu[i] + sd[i] * eps[i], s[i], 1e-12);
        assertSame(q.mode(), q.latents(null));
        assertThrows(IllegalArgumentException.class, () -> new DiagonalGaussian(Tensor.zeros(1, 3, 2, 2)));
    }
}
