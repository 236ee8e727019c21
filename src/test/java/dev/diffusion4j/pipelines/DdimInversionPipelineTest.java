package dev.diffusion4j.pipelines;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * DDIM inversion against a known answer. For data x_0 ~ N(mu, s^2) per dimension the exact noise prediction is linear,
 * eps(x_t) = b (x_t - a mu) / (a^2 s^2 + b^2) with a = sqrt(alpha_bar), b = sqrt(1 - alpha_bar), so every DDIM sampling
 * step is an affine map x -> A x + c whose inverse is closed form: the latent x_T of an image is known exactly, and
 * reconstruction must return the image.
 */
class DdimInversionPipelineTest {
    static final double MU = 0.3, S = 0.5;
    static final NoiseSchedule BASE = NoiseSchedule.linear(1000);

    /** The exact eps of N(MU, S^2) data; t are training timesteps. */
    static final Denoiser EXACT = (x, t, c) -> {
        double ab = BASE.alphaBar((int) t.toLongArray()[0]), a = Math.sqrt(ab), b = Math.sqrt(1 - ab);
        return x.sub(a * MU).mul(b / (a * a * S * S + b * b));
    };

    /** One DDIM (eta 0) step of the exact model from level ab to abPrev, applied to a number. */
    static double step(double x, double ab, double abPrev) {
        double a = Math.sqrt(ab), b = Math.sqrt(1 - ab), eps = b * (x - a * MU) / (a * a * S * S + b * b);
        return Math.sqrt(abPrev) * (x - b * eps) / a + Math.sqrt(1 - abPrev) * eps;
    }

    /** x_T by undoing the affine sampling steps one by one, from the data up. */
    static double exactLatent(double x0, NoiseSchedule s) {
        double x = x0;
        for (int i = 0; i < s.steps(); i++) {
            double ab = s.alphaBar(i), abPrev = s.alphaBarPrev(i);
            double c = step(0, ab, abPrev), slope = step(1, ab, abPrev) - c;
            x = (x - c) / slope;
        }
        return x;
    }

    @Test
    void fixedPointInversionGivesTheExactLatentAndReconstructsTheImage() {
        GaussianDiffusion d = new GaussianDiffusion(BASE, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("ddim20");
        Tensor images = Tensor.randn(new Generator(3), DType.F64, Device.CPU, 4, 1, 3, 3).mul(S).add(MU);
        double[] x0 = images.toDoubleArray();

        DdimInversion inv = new DdimInversion(d, 8);
        assertEquals(20, inv.steps());
        assertEquals(180, inv.inversionCalls());
        Tensor xT = inv.invert(EXACT, images, null, null);
        double[] lat = xT.toDoubleArray();
        double latErr = 0;
        for (int i = 0; i < x0.length; i++) latErr = Math.max(latErr, Math.abs(lat[i] - exactLatent(x0[i], d.schedule())));
        double[] back = inv.reconstruct(EXACT, xT, null, null).toDoubleArray();
        double recErr = 0;
        for (int i = 0; i < x0.length; i++) recErr = Math.max(recErr, Math.abs(back[i] - x0[i]));
        System.out.printf("DDIM inversion (20 steps, 8 iterations): latent max error %.2e, reconstruction max error %.2e%n", latErr, recErr);
        assertTrue(latErr < 1e-5, "latent vs closed form: " + latErr);
        assertTrue(recErr < 1e-5, "reconstruction: " + recErr);

        // classic inversion (no iterations) is only first-order accurate: visibly off at 20 steps
        DdimInversion classic = new DdimInversion(d, 0);
        double[] rough = classic.reconstruct(EXACT, classic.invert(EXACT, images, null, null), null, null).toDoubleArray();
        double roughErr = 0;
        for (int i = 0; i < x0.length; i++) roughErr = Math.max(roughErr, Math.abs(rough[i] - x0[i]));
        System.out.printf("classic DDIM inversion (20 steps): reconstruction max error %.2e%n", roughErr);
        assertTrue(roughErr > 100 * recErr && roughErr > 1e-3, "classic inversion error " + roughErr);
    }
}
