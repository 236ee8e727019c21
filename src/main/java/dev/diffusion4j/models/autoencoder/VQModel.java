package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Parameter;

/**
 * The VQ-regularised autoencoder (VQGAN-style, as latent diffusion's VQ-f4), laid out and named as diffusers' VQModel:
 * encoder, quant_conv to the code width, quantize (the codebook), post_quant_conv and decoder. As in diffusers, the
 * latents are the encoder's pre-quantisation output and {@link #decode} quantises them; the regulariser is the
 * quantiser's codebook + beta * commitment loss. A batch is quantised once: decoding the latents of the latest
 * encoding reuses that encoding's quantisation (and its one EMA / restart update in training).
 */
public final class VQModel extends Autoencoder {
    private final VQModelConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv, postQuantConv;
    private final VectorQuantizer quantize;
    private Encoding last;

    public VQModel(VQModelConfig config, Generator gen) {
        this.config = config;
        int z = config.latentChannels(), d = config.codeDim();
        encoder = registerModule("encoder", new Encoder(config.inChannels(), z, config.blockOutChannels(), config.layersPerBlock(),
                config.normNumGroups(), config.midBlockAddAttention(), gen));
        decoder = registerModule("decoder", new Decoder(z, config.outChannels(), config.blockOutChannels(), config.layersPerBlock(),
                config.normNumGroups(), config.midBlockAddAttention(), gen));
        quantConv = registerModule("quant_conv", new Conv2d(z, d, 1, gen));
        quantize = registerModule("quantize", new VectorQuantizer(config.numVqEmbeddings(), d, VectorQuantizer.DEFAULT_BETA, gen));
        postQuantConv = registerModule("post_quant_conv", new Conv2d(d, z, 1, gen));
    }

    public VQModelConfig config() { return config; }

    public VectorQuantizer quantizer() { return quantize; }

    /** The encoder's pre-quantisation latents [N, codeDim, h, w] with their (lazily computed, cached) quantisation. */
    public final class Encoding implements Autoencoder.Encoding {
        private final Tensor latents;
        private VectorQuantizer.Quantized quantized;

        private Encoding(Tensor latents) { this.latents = latents; }

        public VectorQuantizer.Quantized quantized() {
            if (quantized == null) quantized = quantize.quantize(latents);
            return quantized;
        }

        @Override public Tensor latents(Generator gen) { return latents; }

        @Override public Tensor regularization() { return quantized().loss(); }
    }

    @Override public Encoding encode(Tensor images) {
        int f = downsampleFactor();
        if (images.rank() != 4 || images.shape(1) != config.inChannels() || images.shape(2) % f != 0 || images.shape(3) % f != 0)
            throw new IllegalArgumentException("VQModel.encode expects images [N, " + config.inChannels() + ", H, W] with H and W multiples of "
                    + f + ", got " + Shape.str(images.shape()));
        last = new Encoding(quantConv.forward(encoder.forward(images)));
        return last;
    }

    /** Quantises the latents (reusing the latest encoding's quantisation for its own latents) and decodes. */
    @Override public Tensor decode(Tensor latents) {
        if (latents.rank() != 4 || latents.shape(1) != config.codeDim())
            throw new IllegalArgumentException("VQModel.decode expects latents [N, " + config.codeDim() + ", h, w], got " + Shape.str(latents.shape()));
        VectorQuantizer.Quantized q = last != null && last.latents == latents ? last.quantized() : quantize.quantize(latents);
        return decodeQuantized(q.latents());
    }

    /** Decodes latents that are already codebook vectors (diffusers' decode with force_not_quantize). */
    public Tensor decodeQuantized(Tensor quantized) { return decoder.forward(postQuantConv.forward(quantized)); }

    @Override public Tensor forward(Tensor images) { return decode(encode(images).latents(null)); }

    @Override public int imageChannels() { return config.inChannels(); }
    /** The width of the latents the encoder gives and decode takes: the code width. */
    @Override public int latentChannels() { return config.codeDim(); }
    @Override public int downsampleFactor() { return config.downsampleFactor(); }
    @Override public double scalingFactor() { return config.scalingFactor(); }
    @Override public Parameter lastDecoderWeight() { return decoder.convOut().weight(); }
}
