package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Autograd;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Parameter;

/**
 * The autoencoder's training objective, holding LDM's learned log-variance scalar (a parameter trained with the
 * autoencoder). KL models follow LDM: per-pixel distance r, nll = r / exp(logvar) + logvar summed over the pixels and
 * averaged over the batch, plus klWeight * KL. Codebook models follow taming: the mean distance plus codebookWeight *
 * codebook loss, no logvar. The GAN part is the generator loss -mean(D(x_hat)) weighted adaptively, and a hinge loss
 * for the discriminator. The optional perceptual term (LPIPS, when the user supplies its weights) is added per image
 * to every pixel's distance before the nll, as LDM and taming add it: r = d + perceptualWeight * LPIPS(x, x_hat).
 */
public final class AutoencoderLoss extends Module {
    /** Bounds of the adaptive weight, as in taming / LDM. */
    public static final double MAX_ADAPTIVE_WEIGHT = 1e4, GRAD_NORM_EPS = 1e-4;

    private final AutoencoderLossConfig cfg;
    private final AutoencoderFactory.Regularizer regularizer;
    private final Parameter logvar;

    public AutoencoderLoss(AutoencoderLossConfig cfg, AutoencoderFactory.Regularizer regularizer) {
        this.cfg = cfg;
        this.regularizer = regularizer;
        this.logvar = registerParameter("logvar", Tensor.scalar(cfg.logvarInit()));
    }

    public Parameter logvar() { return logvar; }

    /** Per-element distance between inputs and reconstructions. */
    public Tensor distance(Tensor x, Tensor xHat) {
        Tensor d = x.sub(xHat);
        return cfg.distance().equals("l1") ? d.abs() : d.square();
    }

    /** The reconstruction term (nll for KL models, mean distance for codebook models). */
    public Tensor reconstruction(Tensor x, Tensor xHat) { return reconstruction(x, xHat, null); }

    /**
     * The reconstruction term with the per-image perceptual distances {@code perceptual} ({@code [N]}, or null for none)
     * weighted by the config's perceptual weight and added to each pixel's distance.
     */
    public Tensor reconstruction(Tensor x, Tensor xHat, Tensor perceptual) {
        Tensor d = distance(x, xHat);
        if (perceptual != null) d = d.add(perceptual.to(d.dtype()).mul(cfg.perceptual().weight()).reshape(x.shape(0), 1, 1, 1));
        if (regularizer == AutoencoderFactory.Regularizer.CODEBOOK) return d.mean();
        Tensor lv = logvar.data().to(d.dtype());
        return d.mul(lv.neg().exp()).add(lv).sum().div(x.shape(0));
    }

    /** The weighted regulariser: klWeight * KL or codebookWeight * codebook loss. */
    public Tensor regularization(Tensor reg) {
        return reg.mul(regularizer == AutoencoderFactory.Regularizer.KL ? cfg.klWeight() : cfg.codebookWeight());
    }

    /** The generator's adversarial loss from the discriminator's logits on reconstructions. */
    public static Tensor generatorLoss(Tensor fakeLogits) { return fakeLogits.mean().neg(); }

    /** Hinge loss of the discriminator: (mean relu(1 - D(x)) + mean relu(1 + D(x_hat))) / 2. */
    public static Tensor hinge(Tensor realLogits, Tensor fakeLogits) {
        return F.relu(realLogits.rsub(1)).mean().add(F.relu(fakeLogits.add(1)).mean()).mul(0.5);
    }

    /**
     * The adaptive generator weight: ||d nll / d W|| / (||d g / d W|| + 1e-4) at the decoder's last layer W, clamped to
     * [0, 1e4] and times discWeight, so the adversarial gradient there is as large as the reconstruction's. Keeps the
     * graphs of both losses for the backward that follows.
     */
    public double adaptiveWeight(Tensor nll, Tensor generatorLoss, Parameter lastLayer) {
        double a = norm(Autograd.grad(nll, lastLayer.data(), true)), b = norm(Autograd.grad(generatorLoss, lastLayer.data(), true));
        return adaptiveWeight(a, b, cfg.discWeight());
    }

    static double adaptiveWeight(double nllNorm, double genNorm, double discWeight) {
        return Math.min(Math.max(nllNorm / (genNorm + GRAD_NORM_EPS), 0), MAX_ADAPTIVE_WEIGHT) * discWeight;
    }

    private static double norm(Tensor g) { return Math.sqrt(g.to(dev.diffusion4j.engine.DType.F64).square().sum().item()); }
}
