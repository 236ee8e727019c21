package dev.diffusion4j.train.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.Autograd;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.PatchDiscriminator;
import org.junit.jupiter.api.Test;

class AutoencoderLossTest {
    static AutoencoderLossConfig cfg(String distance, double logvar) {
        return new AutoencoderLossConfig(distance, 1e-6, 1.0, logvar, 0, 0.5, 1, 8, 0, 0);
    }

    @Test void klNllIsDistanceOverVariancePlusLogvarSummedPerImage() {
        Tensor x = Tensor.of(new float[] {0, 1, -1, 0.5f}, 2, 1, 1, 2), y = Tensor.of(new float[] {0.5f, 1, 0, 0}, 2, 1, 1, 2);
        // l1 distances 0.5, 0, 1, 0.5; logvar 0.3: (sum |d| / e^0.3 + 4 * 0.3) / 2 images
        var kl = new AutoencoderLoss(cfg("l1", 0.3), AutoencoderFactory.Regularizer.KL);
        assertEquals((2.0 / Math.exp(0.3) + 4 * 0.3) / 2, kl.reconstruction(x, y).item(), 1e-6);
        var l2 = new AutoencoderLoss(cfg("l2", 0.0), AutoencoderFactory.Regularizer.KL);
        assertEquals((0.25 + 1 + 0.25) / 2, l2.reconstruction(x, y).item(), 1e-6);
        // codebook models: the mean distance, no logvar; the regulariser weighted by the codebook weight
        var vq = new AutoencoderLoss(cfg("l1", 0.3), AutoencoderFactory.Regularizer.CODEBOOK);
        assertEquals(2.0 / 4, vq.reconstruction(x, y).item(), 1e-6);
        assertEquals(3.0, vq.regularization(Tensor.scalar(3)).item(), 1e-9);
        assertEquals(3e-6, kl.regularization(Tensor.scalar(3)).item(), 1e-12);
    }

    @Test void logvarLearnsTheMeanDistance() {
        // d/dlogvar (r e^-s + s) = 1 - r e^-s: zero where e^s equals the summed distance per image... per element
        var kl = new AutoencoderLoss(cfg("l1", 0.0), AutoencoderFactory.Regularizer.KL);
        Tensor x = Tensor.of(new float[] {0, 0}, 1, 1, 1, 2), y = Tensor.of(new float[] {0.5f, 0.5f}, 1, 1, 1, 2);
        kl.reconstruction(x, y).backward();
        assertEquals(2 * (1 - 0.5), kl.logvar().grad().item(), 1e-6);
    }

    @Test void hingeLoss() {
        Tensor real = Tensor.of(new float[] {2, 0.5f}, 2), fake = Tensor.of(new float[] {-3, 0}, 2);
        // real: relu(1-2)=0, relu(0.5)=0.5 -> 0.25; fake: relu(-2)=0, relu(1)=1 -> 0.5; halves: 0.375
        assertEquals(0.375, AutoencoderLoss.hinge(real, fake).item(), 1e-7);
        assertEquals(1.5, AutoencoderLoss.generatorLoss(fake).item(), 1e-7);
    }

    @Test void adaptiveWeightIsTheClampedGradientNormRatio() {
        assertEquals(0.5 * 2.0 / (1.0 + 1e-4), AutoencoderLoss.adaptiveWeight(2.0, 1.0, 0.5), 1e-12);
        assertEquals(1e4 * 0.5, AutoencoderLoss.adaptiveWeight(5.0, 0.0, 0.5), 1e-9);
        ConvTestAutoencoder ae = new ConvTestAutoencoder(3, 2, 8, new Generator(4));
        ae.to(DType.F64);
        var loss = new AutoencoderLoss(cfg("l1", 0.0), AutoencoderFactory.Regularizer.KL);
        loss.to(DType.F64);
        var disc = new PatchDiscriminator(3, 4, 1, new Generator(5));
        disc.to(DType.F64);
        Tensor x = Tensor.randn(new Generator(6), DType.F64, dev.diffusion4j.engine.Device.CPU, 2, 3, 8, 8);
        // reference: each norm from its own fresh graph
        double a = norm(Autograd.grad(loss.reconstruction(x, ae.decode(ae.encode(x).latents(null))), ae.lastDecoderWeight().data()));
        double b = norm(Autograd.grad(AutoencoderLoss.generatorLoss(disc.forward(ae.decode(ae.encode(x).latents(null)))), ae.lastDecoderWeight().data()));
        Tensor xHat = ae.decode(ae.encode(x).latents(null));
        Tensor nll = loss.reconstruction(x, xHat), g = AutoencoderLoss.generatorLoss(disc.forward(xHat));
        assertEquals(0.5 * a / (b + 1e-4), loss.adaptiveWeight(nll, g, ae.lastDecoderWeight()), 1e-9);
        // the graphs survive: the full backward afterwards gives the gradient a fresh graph gives
        nll.add(g).backward();
        double[] kept = ae.lastDecoderWeight().grad().toDoubleArray();
        ae.zeroGrad();
        Tensor xHat2 = ae.decode(ae.encode(x).latents(null));
        loss.reconstruction(x, xHat2).add(AutoencoderLoss.generatorLoss(disc.forward(xHat2))).backward();
        assertArrayEquals(ae.lastDecoderWeight().grad().toDoubleArray(), kept, 1e-12);
    }

    private static double norm(Tensor g) { return Math.sqrt(g.square().sum().item()); }
}
