package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Downsample;
import dev.diffusion4j.models.autoencoder.MidAttention;
import dev.diffusion4j.models.autoencoder.ResnetBlock;
import dev.diffusion4j.models.autoencoder.Upsample;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Attention;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Block;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;
import dev.diffusion4j.nn.SpatialTransformer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One level of a diffusers U-Net, down or up: resnets.K, each followed by attentions.K when the block attends
 * (self-attention in Attn*Block2D, a Transformer2DModel in CrossAttn*Block2D), then downsamplers.0 or upsamplers.0
 * except at the last level. A down block pushes every resnet's (or attention's) output and the downsampler's onto the
 * skip stack; an up block pops one skip per resnet and concatenates it to its input, as diffusers' blocks do.
 */
final class UNetBlock extends Module {
    private final String type;
    private final boolean up;
    private final ModuleList<ResnetBlock> resnets;
    private final ModuleList<Module> attentions;
    private final ModuleList<Module> resamplers;

    private UNetBlock(String type, boolean up) {
        this.type = type;
        this.up = up;
        attentions = registerModule("attentions", new ModuleList<>());
        resnets = registerModule("resnets", new ModuleList<>());
        resamplers = registerModule(up ? "upsamplers" : "downsamplers", new ModuleList<>());
    }

    static UNetBlock down(UNet2DLayout l, int i, Generator gen) {
        Block b = l.down().get(i);
        UNetBlock block = new UNetBlock(b.type(), false);
        int out = l.downOut(i);
        for (int j = 0; j < l.layersPerBlock(); j++) {
            block.resnets.add(resnet(l, j == 0 ? l.downIn(i) : out, out, 1, gen));
            if (b.attention() != Attention.NONE) block.attentions.add(attention(l, b.attention(), out, b.heads(), b.depth(), l.groups(), 1, gen));
        }
        if (i < l.levels() - 1) block.resamplers.add(new Downsample(out, l.downsamplePadding(), gen));
        return block;
    }

    static UNetBlock up(UNet2DLayout l, int i, Generator gen) {
        Block b = l.up().get(i);
        UNetBlock block = new UNetBlock(b.type(), true);
        int out = l.upOut(i), n = l.layersPerBlock() + 1;
        for (int j = 0; j < n; j++) {
            int skip = j == n - 1 ? l.upSkipIn(i) : out;
            block.resnets.add(resnet(l, (j == 0 ? l.upPrev(i) : out) + skip, out, 1, gen));
            if (b.attention() != Attention.NONE) block.attentions.add(attention(l, b.attention(), out, b.heads(), b.depth(), l.groups(), 1, gen));
        }
        if (i < l.levels() - 1) block.resamplers.add(new Upsample(out, gen));
        return block;
    }

    static ResnetBlock resnet(UNet2DLayout l, int cin, int cout, double outputScale, Generator gen) {
        return new ResnetBlock(cin, cout, l.groups(), l.eps(), l.timeEmbedDim(), l.dropout(), outputScale, l.scaleShift(), gen);
    }

    /** A self-attention (diffusers' Attention with group_norm) or a Transformer2DModel over `channels`. */
    static Module attention(UNet2DLayout l, Attention kind, int channels, int heads, int depth, int groups, double rescale, Generator gen) {
        return kind == Attention.SELF ? new MidAttention(channels, heads, groups, l.eps(), rescale, gen)
                : new SpatialTransformer(channels, l.contextDim(), heads, depth, groups, l.linearProjection(), false, gen);
    }

    static Tensor attend(Module attention, Tensor h, Tensor context) {
        return attention instanceof SpatialTransformer st ? st.forward(h, context) : attention.forward(h);
    }

    /** Down: h after the block, with its outputs pushed onto skips. Up: h after the block, its skips popped. */
    Tensor forward(Tensor h, Tensor temb, Tensor context, Deque<Tensor> skips) {
        for (int j = 0; j < resnets.size(); j++) {
            if (up) h = Tensor.cat(1, h, skips.pop());
            h = resnets.get(j).forward(h, temb);
            if (!attentions.isEmpty()) h = attend(attentions.get(j), h, context);
            if (!up) skips.push(h);
        }
        for (Module r : resamplers) {
            h = r.forward(h);
            if (!up) skips.push(h);
        }
        return h;
    }

    static Deque<Tensor> newSkips() { return new ArrayDeque<>(); }

    @Override public String typeName() { return type; }   // diffusers' class, in the printed tree
}
