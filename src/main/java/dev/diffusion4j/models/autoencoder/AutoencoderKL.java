package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Parameter;

/**
 * The KL-regularised autoencoder of latent diffusion (Rombach et al. 2022), laid out and named as diffusers'
 * AutoencoderKL so its weights load by name: encoder, quant_conv (1x1 on the 2C moments), a diagonal Gaussian
 * posterior, post_quant_conv (1x1 on the C latents) and decoder. The Stable Diffusion VAE is the preset sd-vae.
 */
public final class AutoencoderKL extends Autoencoder {
    private final AutoencoderKLConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv, postQuantConv;

    public AutoencoderKL(AutoencoderKLConfig config, Generator gen) {
        this.config = config;
        int z = config.latentChannels();
        encoder = registerModule("encoder", new Encoder(config.inChannels(), 2 * z, config.blockOutChannels(), config.layersPerBlock(),
                config.normNumGroups(), config.midBlockAddAttention(), gen));
        decoder = registerModule("decoder", new Decoder(z, config.outChannels(), config.blockOutChannels(), config.layersPerBlock(),
                config.normNumGroups(), config.midBlockAddAttention(), gen));
        quantConv = config.useQuantConv() ? registerModule("quant_conv", new Conv2d(2 * z, 2 * z, 1, gen)) : null;
        postQuantConv = config.usePostQuantConv() ? registerModule("post_quant_conv", new Conv2d(z, z, 1, gen)) : null;
    }

    public AutoencoderKLConfig config() { return config; }

    /** The posterior q(z | images) for images [N, C, H, W] with H and W divisible by the downsampling factor. */
    @Override public DiagonalGaussian encode(Tensor images) {
        checkImages(images);
        Tensor moments = encoder.forward(images);
        return new DiagonalGaussian(quantConv == null ? moments : quantConv.forward(moments));
    }

    @Override public Tensor decode(Tensor latents) {
        if (latents.rank() != 4 || latents.shape(1) != config.latentChannels())
            throw new IllegalArgumentException("AutoencoderKL.decode expects latents [N, " + config.latentChannels() + ", h, w], got "
                    + Shape.str(latents.shape()));
        return decoder.forward(postQuantConv == null ? latents : postQuantConv.forward(latents));
    }

    /** Reconstruction through the posterior's mode (gen null) or a sample of it. */
    public Tensor reconstruct(Tensor images, Generator gen) { return decode(encode(images).latents(gen)); }

    @Override public Tensor forward(Tensor images) { return reconstruct(images, null); }

    private void checkImages(Tensor x) {
        int f = downsampleFactor();
        if (x.rank() != 4 || x.shape(1) != config.inChannels() || x.shape(2) % f != 0 || x.shape(3) % f != 0)
            throw new IllegalArgumentException("AutoencoderKL.encode expects images [N, " + config.inChannels() + ", H, W] with H and W"
                    + " multiples of " + f + ", got " + Shape.str(x.shape()));
    }

    @Override public int imageChannels() { return config.inChannels(); }
    @Override public int latentChannels() { return config.latentChannels(); }
    @Override public int downsampleFactor() { return config.downsampleFactor(); }
    @Override public double scalingFactor() { return config.scalingFactor(); }
    @Override public Parameter lastDecoderWeight() { return decoder.convOut().weight(); }
}
