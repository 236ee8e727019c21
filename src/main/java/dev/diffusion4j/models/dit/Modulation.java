package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;
import java.util.function.UnaryOperator;

/** adaLN's per-sample affine map of tokens, and the gated residual branch of an adaLN-Zero block built on it. */
final class Modulation {
    private Modulation() {}

    /** x [B, L, D] * (1 + scale [B, D]) + shift [B, D]. */
    static Tensor modulate(Tensor x, Tensor shift, Tensor scale) {
        return x.mul(scale.add(1).unsqueeze(1)).add(shift.unsqueeze(1));
    }

    /**
     * modulate(norm(x), shift, scale): one fused op (F.layerNormModulate) for adaLN's affine-free LayerNorm over the
     * last dim; composed otherwise.
     */
    static Tensor modulatedNorm(LayerNorm norm, Tensor x, Tensor shift, Tensor scale) {
        if (norm.weight() == null && norm.bias() == null && norm.normalizedShape().length == 1 && x.rank() == 3)
            return F.layerNormModulate(x, shift, scale, norm.eps());
        return modulate(norm.forward(x), shift, scale);
    }

    /** One adaLN-Zero branch: x + gate * branch(modulate(norm(x), shift, scale)), gate [B, D] broadcast over the tokens. */
    static Tensor gatedResidual(Tensor x, LayerNorm norm, Tensor shift, Tensor scale, Tensor gate, UnaryOperator<Tensor> branch) {
        return F.gatedResidual(x, gate, branch.apply(modulatedNorm(norm, x, shift, scale)));
    }
}
