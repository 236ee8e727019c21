package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SiLU;

/**
 * A transformer block with adaLN-Zero conditioning: the conditioning vector c gives, through SiLU and a zero-initialised
 * Linear(D, 6D), shift, scale and gate for the attention and the MLP branch, so every block starts as the identity.
 */
public final class DiTBlock extends Module {
    private static final double LN_EPS = 1e-6;
    private final LayerNorm norm1, norm2;
    private final Attention attn;
    private final Mlp mlp;
    private final Sequential adaLN;

    public DiTBlock(int hiddenSize, int heads, int mlpHidden, Generator gen) {
        norm1 = registerModule("norm1", new LayerNorm(new int[] {hiddenSize}, LN_EPS, false));
        attn = registerModule("attn", new Attention(hiddenSize, heads, gen));
        norm2 = registerModule("norm2", new LayerNorm(new int[] {hiddenSize}, LN_EPS, false));
        mlp = registerModule("mlp", new Mlp(hiddenSize, mlpHidden, gen));
        adaLN = registerModule("adaLN_modulation", new Sequential(new SiLU(), InitLinear.zero(hiddenSize, 6 * hiddenSize)));
    }

    /** x [B, L, D], c [B, D]. */
    public Tensor forward(Tensor x, Tensor c) {
        Tensor[] m = adaLN.forward(c).chunk(6, 1);
        x = x.add(m[2].unsqueeze(1).mul(attn.forward(Modulation.modulate(norm1.forward(x), m[0], m[1]))));
        return x.add(m[5].unsqueeze(1).mul(mlp.forward(Modulation.modulate(norm2.forward(x), m[3], m[4]))));
    }
}
