package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.CrossAttention;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SiLU;

/**
 * A transformer block with adaLN-Zero conditioning: the conditioning vector c gives, through SiLU and a zero-initialised
 * Linear(D, 6D), shift, scale and gate for the attention and the MLP branch, so every block starts as the identity.
 * A text-conditioned block (PixArt-alpha style) has a plain residual cross-attention from the tokens to a context
 * between the two: x + cross_attn(x, context), unnormalised and ungated, with its output projection zero-initialised
 * so that it too starts as the identity.
 */
public final class DiTBlock extends Module {
    private static final double LN_EPS = 1e-6;
    private final LayerNorm norm1, norm2;
    private final Attention attn;
    private final CrossAttention crossAttn;   // null: no text
    private final Mlp mlp;
    private final Sequential adaLN;

    public DiTBlock(int hiddenSize, int heads, int mlpHidden, Generator gen) {
        this(hiddenSize, heads, mlpHidden, 0, gen, null);
    }

    /**
     * @param contextDim width of the context to cross-attend to; 0 for none
     * @param textGen    draws the cross-attention's weights (unused without context), so the other weights are those
     *                   of the block without text built from the same gen
     */
    public DiTBlock(int hiddenSize, int heads, int mlpHidden, int contextDim, Generator gen, Generator textGen) {
        norm1 = registerModule("norm1", new LayerNorm(new int[] {hiddenSize}, LN_EPS, false));
        attn = registerModule("attn", new Attention(hiddenSize, heads, gen));
        crossAttn = contextDim > 0 ? registerModule("cross_attn", TextParts.crossAttention(hiddenSize, contextDim, heads, textGen)) : null;
        norm2 = registerModule("norm2", new LayerNorm(new int[] {hiddenSize}, LN_EPS, false));
        mlp = registerModule("mlp", new Mlp(hiddenSize, mlpHidden, gen));
        adaLN = registerModule("adaLN_modulation", new Sequential(new SiLU(), InitLinear.zero(hiddenSize, 6 * hiddenSize)));
    }

    /** x [B, L, D], c [B, D]. */
    public Tensor forward(Tensor x, Tensor c) { return forward(x, c, null); }

    /** x [B, L, D], c [B, D], context [B, M, contextDim] (required exactly when the block has cross-attention). */
    public Tensor forward(Tensor x, Tensor c, Tensor context) {
        ResidualStream s = new ResidualStream(x);
        forward(s, c, context);
        return s.x();
    }

    /**
     * The block on a residual stream: each gated branch is queued for the next modulated norm to add in the same op,
     * this block's norm2 for the attention's and the next block's norm1 (or the final layer's norm) for the MLP's.
     */
    public void forward(ResidualStream s, Tensor c, Tensor context) {
        if ((crossAttn == null) != (context == null))
            throw new IllegalArgumentException(crossAttn == null ? "this DiT block has no cross-attention but was given a context" : "this DiT block needs a context");
        Tensor[] m = adaLN.forward(c).chunk(6, 1);
        s.addGated(m[2], attn.forward(s.modulatedNorm(norm1, m[0], m[1])));
        if (crossAttn != null) {
            Tensor x = s.x();
            s.set(x.add(crossAttn.forward(x, context)));
        }
        s.addGated(m[5], mlp.forward(s.modulatedNorm(norm2, m[3], m[4])));
    }

    /** The cross-attention sublayer, or null without text. */
    public CrossAttention crossAttention() { return crossAttn; }
}
