package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Parameter;

/**
 * An image autoencoder for latent diffusion (KL- or VQ-regularised): images [N, C, H, W] in [-1, 1] to latents
 * [N, latentChannels, H/f, W/f] and back. The one contract the autoencoder trainer, the latent cache and the
 * latent-diffusion pipeline rely on; {@code AutoencoderKL} and {@code VQModel} implement it.
 */
public abstract class Autoencoder extends Module {
    /** Runs the encoder: the posterior (KL) or the pre-quantisation latents with their codebook terms (VQ). */
    public abstract Encoding encode(Tensor images);

    /** Latents [N, latentChannels, h, w] (what {@link Encoding#latents} gives) back to images [N, C, h*f, w*f]. */
    public abstract Tensor decode(Tensor latents);

    /** Image channels taken and produced. */
    public abstract int imageChannels();

    public abstract int latentChannels();

    /** Spatial downsampling factor f (1, 2, 4, 8 ...): inputs must have sides divisible by it. */
    public abstract int downsampleFactor();

    /** The latent scale from the configuration (diffusers' scaling_factor), or NaN when the configuration has none. */
    public abstract double scalingFactor();

    /** The decoder's last layer weight (conv_out.weight): the adaptive GAN weight divides gradient norms taken there. */
    public abstract Parameter lastDecoderWeight();

    /** What the encoder produced for a batch. */
    public interface Encoding {
        /**
         * Latents to decode or to diffuse: a sample of the posterior when gen is non-null and the mode otherwise (KL);
         * the pre-quantisation latents (VQ, which quantises in {@link #decode}, as diffusers' VQModel does).
         */
        Tensor latents(Generator gen);

        /**
         * The regulariser to add to the reconstruction loss, already reduced to a scalar as the trainer adds it with
         * its own weight: KL(q || N(0, I)) summed over latent elements and averaged over the batch (KL); for VQ the
         * codebook + beta * commitment loss of the quantisation applied to these latents.
         */
        Tensor regularization();
    }
}
