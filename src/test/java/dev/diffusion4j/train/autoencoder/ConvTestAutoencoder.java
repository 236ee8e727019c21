package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Parameter;

/**
 * A small but real KL autoencoder for tests: two convolutions down (one of them stride 2, f = 2), a Gaussian posterior
 * (mean and log-variance), and two convolutions up around a nearest-neighbour upsampling.
 */
public final class ConvTestAutoencoder extends Autoencoder {
    public static final String NAME = "test-conv-kl";
    private final Conv2d in, down, moments, post, up, out;
    private final int channels, latent;

    public ConvTestAutoencoder(int channels, int latent, int width, Generator gen) {
        this.channels = channels;
        this.latent = latent;
        in = registerModule("conv_in", new Conv2d(channels, width, 3, 1, 1, gen));
        down = registerModule("down", new Conv2d(width, width, 4, 2, 1, gen));
        moments = registerModule("quant_conv", new Conv2d(width, 2 * latent, 3, 1, 1, gen));
        post = registerModule("post_quant_conv", new Conv2d(latent, width, 3, 1, 1, gen));
        up = registerModule("up", new Conv2d(width, width, 3, 1, 1, gen));
        out = registerModule("conv_out", new Conv2d(width, channels, 3, 1, 1, gen));
    }

    /** Registers the 3-channel, 2-latent-channel, width-16 variant with the factory. */
    public static void register() {
        AutoencoderFactory.register(NAME, AutoencoderFactory.Regularizer.KL, g -> new ConvTestAutoencoder(3, 2, 16, g));
    }

    @Override public Encoding encode(Tensor images) {
        Tensor m = moments.forward(F.silu(down.forward(F.silu(in.forward(images)))));
        Tensor mean = m.slice(1, 0, latent), logvar = m.slice(1, latent, 2 * latent).clamp(-30, 20);
        return new Encoding() {
            @Override public Tensor latents(Generator gen) {
                return gen == null ? mean : mean.add(logvar.mul(0.5).exp().mul(mean.randnLike(gen)));
            }

            @Override public Tensor regularization() {
                return mean.square().add(logvar.exp()).sub(1).sub(logvar).sum().mul(0.5 / images.shape(0));
            }
        };
    }

    @Override public Tensor decode(Tensor latents) {
        return out.forward(F.silu(up.forward(F.upsampleNearest(F.silu(post.forward(latents)), 2))));
    }

    @Override public int imageChannels() { return channels; }
    @Override public int latentChannels() { return latent; }
    @Override public int downsampleFactor() { return 2; }
    @Override public double scalingFactor() { return Double.NaN; }
    @Override public Parameter lastDecoderWeight() { return out.weight(); }
}
