package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SiLU;

/** LayerNorm, adaLN shift/scale from c, then a zero-initialised Linear(D, p*p*C_out) per token. */
public final class FinalLayer extends Module {
    private final LayerNorm norm;
    private final Linear linear;
    private final Sequential adaLN;

    public FinalLayer(int hiddenSize, int patchSize, int outChannels) {
        norm = registerModule("norm_final", new LayerNorm(new int[] {hiddenSize}, 1e-6, false));
        linear = registerModule("linear", InitLinear.zero(hiddenSize, patchSize * patchSize * outChannels));
        adaLN = registerModule("adaLN_modulation", new Sequential(new SiLU(), InitLinear.zero(hiddenSize, 2 * hiddenSize)));
    }

    /** x [B, L, D], c [B, D] -> [B, L, p*p*C_out]. */
    public Tensor forward(Tensor x, Tensor c) { return forward(new ResidualStream(x), c); }

    /** As {@link #forward(Tensor, Tensor)} on a residual stream, whose queued branch the norm adds in the same op. */
    public Tensor forward(ResidualStream x, Tensor c) {
        Tensor[] m = adaLN.forward(c).chunk(2, 1);
        return linear.forward(x.modulatedNorm(norm, m[0], m[1]));
    }
}
