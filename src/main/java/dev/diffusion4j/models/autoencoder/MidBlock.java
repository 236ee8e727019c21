package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/** diffusers' UNetMidBlock2D without a time embedding: resnets.0, then (optionally) attentions.0, then resnets.1. */
final class MidBlock extends Module {
    private final ModuleList<ResnetBlock> resnets;
    private final ModuleList<MidAttention> attentions;

    MidBlock(int channels, int groups, boolean attention, Generator gen) {
        attentions = registerModule("attentions", new ModuleList<>());
        resnets = registerModule("resnets", new ModuleList<>());
        resnets.add(new ResnetBlock(channels, channels, groups, gen));
        if (attention) attentions.add(new MidAttention(channels, groups, gen));
        resnets.add(new ResnetBlock(channels, channels, groups, gen));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor h = resnets.get(0).forward(x);
        if (!attentions.isEmpty()) h = attentions.get(0).forward(h);
        return resnets.get(1).forward(h);
    }

    @Override public String typeName() { return "UNetMidBlock2D"; }   // diffusers' class, in the printed tree
}
