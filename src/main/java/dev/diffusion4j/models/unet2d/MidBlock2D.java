package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.ResnetBlock;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Attention;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/**
 * diffusers' UNetMidBlock2D / UNetMidBlock2DCrossAttn with one layer: resnets.0, attentions.0 (unless add_attention
 * is false), resnets.1; the resnets (and the self-attention) divide by mid_block_scale_factor.
 */
final class MidBlock2D extends Module {
    private final String type;
    private final ModuleList<ResnetBlock> resnets;
    private final ModuleList<Module> attentions;

    MidBlock2D(UNet2DLayout l, Generator gen) {
        UNet2DLayout.Mid m = l.mid();
        type = m.type();
        int c = l.blockOutChannels().getLast();
        attentions = registerModule("attentions", new ModuleList<>());
        resnets = registerModule("resnets", new ModuleList<>());
        resnets.add(UNetBlock.resnet(l, c, c, m.scale(), gen));
        if (m.attention() != Attention.NONE) attentions.add(UNetBlock.attention(l, m.attention(), c, m.heads(), m.depth(), m.attnGroups(), m.scale(), gen));
        resnets.add(UNetBlock.resnet(l, c, c, m.scale(), gen));
    }

    Tensor forward(Tensor h, Tensor temb, Tensor context) {
        h = resnets.get(0).forward(h, temb);
        if (!attentions.isEmpty()) h = UNetBlock.attend(attentions.get(0), h, context);
        return resnets.get(1).forward(h, temb);
    }

    @Override public String typeName() { return type; }
}
