package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/**
 * The autoencoders' mid-block attention (diffusers' Attention as the VAE builds it): x + to_out(attention(q, k, v))
 * with q, k, v linear maps of group_norm(x), every pixel a token, one head as wide as the channels. Children
 * group_norm, to_q, to_k, to_v and to_out.0, so diffusers' weights load by name.
 */
final class MidAttention extends Module {
    private final int channels;
    private final GroupNorm norm;
    private final Linear q, k, v, out;

    MidAttention(int channels, int groups, Generator gen) {
        this.channels = channels;
        norm = registerModule("group_norm", new GroupNorm(groups, channels, AutoencoderShape.EPS, true));
        q = registerModule("to_q", new Linear(channels, channels, gen));
        k = registerModule("to_k", new Linear(channels, channels, gen));
        v = registerModule("to_v", new Linear(channels, channels, gen));
        out = registerModule("to_out", new ModuleList<Linear>()).add(new Linear(channels, channels, gen)).get(0);
    }

    @Override public Tensor forward(Tensor x) {
        int n = x.shape(0), h = x.shape(2), w = x.shape(3);
        Tensor tokens = norm.forward(x).reshape(n, channels, h * w).transpose(1, 2);   // [N, L, C]
        Tensor a = F.scaledDotProductAttention(q.forward(tokens), k.forward(tokens), v.forward(tokens));
        Tensor y = out.forward(a).transpose(1, 2).reshape(n, channels, h, w);
        return x.add(y);
    }

    @Override public String typeName() { return "Attention"; }   // diffusers' class, in the printed tree
}
