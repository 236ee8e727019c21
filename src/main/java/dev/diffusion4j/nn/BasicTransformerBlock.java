package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Pre-norm transformer block over tokens [N, L, D]: self-attention (attn1), cross-attention to a context (attn2) and a
 * GEGLU feed-forward (ff.net.0.proj, ff.net.2, 4x wide), each after its LayerNorm (norm1..3) and added back.
 */
public final class BasicTransformerBlock extends Module {
    private final LayerNorm norm1, norm2, norm3;
    private final CrossAttention attn1, attn2;
    private final FeedForward ff;

    public BasicTransformerBlock(int dim, int contextDim, int heads, int headDim, Generator gen) {
        norm1 = registerModule("norm1", new LayerNorm(dim));
        attn1 = registerModule("attn1", new CrossAttention(dim, dim, heads, headDim, gen));
        norm2 = registerModule("norm2", new LayerNorm(dim));
        attn2 = registerModule("attn2", new CrossAttention(dim, contextDim, heads, headDim, gen));
        norm3 = registerModule("norm3", new LayerNorm(dim));
        ff = registerModule("ff", new FeedForward(dim, gen));
    }

    /** x [N, L, D], context [N, M, Dctx] -> [N, L, D]. */
    public Tensor forward(Tensor x, Tensor context) {
        Tensor h = x.add(attn1.forward(norm1.forward(x), null));
        h = h.add(attn2.forward(norm2.forward(h), context));
        return h.add(ff.forward(norm3.forward(h)));
    }

    /** ff.net = [GEGLU, dropout (an identity here), Linear]: the indices diffusers' FeedForward uses. */
    static final class FeedForward extends Module {
        private final Sequential net;

        FeedForward(int dim, Generator gen) {
            net = registerModule("net", new Sequential(new GEGLU(dim, 4 * dim, gen), new Identity(), new Linear(4 * dim, dim, gen)));
        }

        @Override public Tensor forward(Tensor x) { return net.forward(x); }
    }
}
