package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Module;

/** Doubles the resolution: nearest-neighbour x2, then a 3x3 conv (diffusers' Upsample2D with use_conv). Child conv. */
public final class Upsample extends Module {
    private final Conv2d conv;

    public Upsample(int channels, Generator gen) {
        conv = registerModule("conv", new Conv2d(channels, channels, 3, 1, 1, gen));
    }

    @Override public Tensor forward(Tensor x) { return conv.forward(F.upsampleNearest(x, 2)); }

    @Override public String typeName() { return "Upsample2D"; }   // diffusers' class, in the printed tree
}
