package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/**
 * Spatial self-attention as diffusers' Attention does it for the autoencoders' mid block and the UNet2DModel's
 * attention blocks: (x + to_out(attention(q, k, v))) / rescale, with q, k, v linear maps (with bias) of group_norm(x),
 * every pixel a token, split into heads. Children group_norm, to_q, to_k, to_v and to_out.0, so diffusers' weights load
 * by name. The autoencoders use one head as wide as the channels and no rescaling.
 */
public final class MidAttention extends Module {
    private final int channels, heads;
    private final double rescale;
    private final GroupNorm norm;
    private final Linear q, k, v, out;

    MidAttention(int channels, int groups, Generator gen) { this(channels, 1, groups, AutoencoderShape.EPS, 1, gen); }

    /** @param rescale diffusers' rescale_output_factor (the U-Net mid block's mid_block_scale_factor) */
    public MidAttention(int channels, int heads, int groups, double eps, double rescale, Generator gen) {
        if (heads < 1 || channels % heads != 0)
            throw new IllegalArgumentException("attention: " + channels + " channels cannot be split into " + heads + " heads");
        this.channels = channels;
        this.heads = heads;
        this.rescale = rescale;
        norm = registerModule("group_norm", new GroupNorm(groups, channels, eps, true));
        q = registerModule("to_q", new Linear(channels, channels, gen));
        k = registerModule("to_k", new Linear(channels, channels, gen));
        v = registerModule("to_v", new Linear(channels, channels, gen));
        out = registerModule("to_out", new ModuleList<Linear>()).add(new Linear(channels, channels, gen)).get(0);
    }

    @Override public Tensor forward(Tensor x) {
        int n = x.shape(0), h = x.shape(2), w = x.shape(3);
        Tensor tokens = norm.forward(x).reshape(n, channels, h * w).transpose(1, 2);   // [N, L, C]
        Tensor a;
        if (heads == 1) a = F.scaledDotProductAttention(q.forward(tokens), k.forward(tokens), v.forward(tokens));
        else {
            Tensor o = F.scaledDotProductAttention(split(q.forward(tokens)), split(k.forward(tokens)), split(v.forward(tokens)), null, Double.NaN);
            a = o.transpose(1, 2).reshape(n, h * w, channels);
        }
        Tensor y = x.add(out.forward(a).transpose(1, 2).reshape(n, channels, h, w));
        return rescale == 1 ? y : y.div(rescale);
    }

    /** [N, L, C] -> [N, heads, L, C / heads]. */
    private Tensor split(Tensor t) { return t.reshape(t.shape(0), t.shape(1), heads, channels / heads).transpose(1, 2); }

    @Override protected String extraRepr() { return heads == 1 ? "" : "heads=" + heads; }

    @Override public String typeName() { return "Attention"; }   // diffusers' class, in the printed tree
}
