package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Module;

/**
 * Halves the resolution with a stride-2 3x3 conv (diffusers' Downsample2D with use_conv). Its padding 0 (the
 * autoencoders' encoders) pads one column on the right and one row at the bottom with zeros first; padding 1 (the
 * U-Nets' downsample_padding default) pads all sides inside the conv. Child conv.
 */
public final class Downsample extends Module {
    private static final int[] PAD_RIGHT_BOTTOM = {0, 1, 0, 1};
    private final Conv2d conv;
    private final int padding;

    Downsample(int channels, Generator gen) { this(channels, 0, gen); }

    public Downsample(int channels, int padding, Generator gen) {
        if (padding != 0 && padding != 1) throw new IllegalArgumentException("downsample_padding " + padding + " is not supported: 0 or 1");
        this.padding = padding;
        conv = registerModule("conv", new Conv2d(channels, channels, 3, 2, padding, gen));
    }

    @Override public Tensor forward(Tensor x) { return conv.forward(padding == 0 ? x.pad(PAD_RIGHT_BOTTOM, 0) : x); }

    @Override public String typeName() { return "Downsample2D"; }   // diffusers' class, in the printed tree
}
