package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/**
 * The KL autoencoder's posterior q(z | x): a Gaussian with diagonal covariance whose mean and log-variance are the two
 * halves (along channels) of the encoder's moments [N, 2C, h, w]. The log-variance is clamped to [-30, 20] as in
 * diffusers and the LDM code, so exp never overflows and the sampled noise never vanishes entirely.
 */
public final class DiagonalGaussian implements Autoencoder.Encoding {
    public static final double LOGVAR_MIN = -30, LOGVAR_MAX = 20;
    private final Tensor mean, logvar;

    public DiagonalGaussian(Tensor moments) {
        if (moments.rank() != 4 || moments.shape(1) % 2 != 0)
            throw new IllegalArgumentException("posterior moments must be [N, 2C, h, w], got " + Shape.str(moments.shape()));
        int c = moments.shape(1) / 2;
        this.mean = moments.slice(1, 0, c);
        this.logvar = moments.slice(1, c, 2 * c).clamp(LOGVAR_MIN, LOGVAR_MAX);
    }

    public Tensor mean() { return mean; }

    /** The clamped log-variance. */
    public Tensor logvar() { return logvar; }

    public Tensor std() { return logvar.mul(0.5).exp(); }

    /** The mean: the most likely latents (what diffusers' latent_dist.mode() gives). */
    public Tensor mode() { return mean; }

    /** mean + std * eps with eps ~ N(0, I) drawn from gen (reparameterised: differentiable in mean and log-variance). */
    public Tensor sample(Generator gen) { return mean.add(std().mul(mean.randnLike(gen))); }

    /** KL(q || N(0, I)) for each sample: 0.5 * sum(mean^2 + var - 1 - logvar) over its latent elements, shape [N]. */
    public Tensor klPerSample() {
        Tensor terms = mean.square().add(logvar.exp()).sub(logvar).sub(1.0);
        return terms.sum(new int[] {1, 2, 3}, false).mul(0.5);
    }

    @Override public Tensor latents(Generator gen) { return gen == null ? mode() : sample(gen); }

    /** The KL summed over latent elements and averaged over the batch. */
    @Override public Tensor regularization() { return klPerSample().mean(); }
}
