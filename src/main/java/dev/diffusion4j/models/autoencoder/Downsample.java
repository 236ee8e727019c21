package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Module;

/**
 * Halves the resolution: zero padding of one column on the right and one row at the bottom, then a stride-2 3x3 conv
 * without padding (diffusers' Downsample2D with padding=0, as the autoencoders' encoders use it). Child conv.
 */
final class Downsample extends Module {
    private static final int[] PAD_RIGHT_BOTTOM = {0, 1, 0, 1};
    private final Conv2d conv;

    Downsample(int channels, Generator gen) {
        conv = registerModule("conv", new Conv2d(channels, channels, 3, 2, 0, gen));
    }

    @Override public Tensor forward(Tensor x) { return conv.forward(x.pad(PAD_RIGHT_BOTTOM, 0)); }

    @Override public String typeName() { return "Downsample2D"; }   // diffusers' class, in the printed tree
}
