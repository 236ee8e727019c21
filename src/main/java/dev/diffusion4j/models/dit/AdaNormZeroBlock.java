package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.CrossAttention;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/**
 * A DiT block as diffusers lays it out (its BasicTransformerBlock with norm_type ada_norm_zero): norm1 holds the
 * block's own conditioning embedder (emb, {@link TimestepLabelEmbedding}) and the adaLN Linear(D, 6D) (linear); attn1
 * is self-attention with separate to_q/to_k/to_v; norm3 (eps norm_eps) precedes the MLP ff. The computation is
 * {@link DiTBlock}'s: two gated residual branches on a {@link ResidualStream} with shift, scale and gate from the
 * conditioning vector, in the same order.
 */
final class AdaNormZeroBlock extends Module {
    private final AdaNormZero norm1;
    private final CrossAttention attn1;
    private final LayerNorm norm3;
    private final FeedForward ff;

    AdaNormZeroBlock(DiffusersDiTConfig cfg, Generator gen) {
        int d = cfg.hiddenSize();
        norm1 = registerModule("norm1", new AdaNormZero(cfg.numEmbedsAdaNorm(), d, gen));
        attn1 = registerModule("attn1", new CrossAttention(d, d, cfg.numAttentionHeads(), cfg.attentionHeadDim(), cfg.attentionBias(), gen));
        norm3 = registerModule("norm3", new LayerNorm(new int[] {d}, cfg.normEps(), false));
        ff = registerModule("ff", new FeedForward(d, 4 * d, cfg.activationFn().equals("gelu-approximate"), gen));
    }

    /** The block's conditioning vector c [N, D] (the final layer uses block 0's). */
    Tensor conditioning(Tensor t, Tensor labels, DType dtype) { return norm1.emb.forward(t, labels, dtype); }

    /** x [N, L, D] at timesteps t [N] with labels [N] (null: "no class"). */
    Tensor forward(Tensor x, Tensor t, Tensor labels) {
        Tensor[] m = norm1.linear.forward(F.silu(conditioning(t, labels, x.dtype()))).chunk(6, 1);
        ResidualStream s = new ResidualStream(x);
        s.addGated(m[2], attn1.forward(s.modulatedNorm(norm1.norm, m[0], m[1])));
        s.addGated(m[5], ff.forward(s.modulatedNorm(norm3, m[3], m[4])));   // norm3 adds the attention's branch
        return s.x();
    }

    TimestepLabelEmbedding embedding() { return norm1.emb; }
    Linear modulation() { return norm1.linear; }
    CrossAttention attention() { return attn1; }
    FeedForward feedForward() { return ff; }

    /** diffusers' AdaLayerNormZero: the embedder, the adaLN Linear(D, 6D), and a LayerNorm without affine, eps 1e-6. */
    static final class AdaNormZero extends Module {
        private final TimestepLabelEmbedding emb;
        private final Linear linear;
        private final LayerNorm norm;

        AdaNormZero(int numClasses, int d, Generator gen) {
            emb = registerModule("emb", new TimestepLabelEmbedding(numClasses, d, gen));
            linear = registerModule("linear", InitLinear.zero(d, 6 * d));
            norm = registerModule("norm", new LayerNorm(new int[] {d}, 1e-6, false));
        }
    }
}
