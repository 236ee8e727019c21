package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;

/** adaLN's per-sample affine map of tokens, and the modulated norm built on it. */
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
        if (fusedNorm(norm, x)) return F.layerNormModulate(x, shift, scale, norm.eps());
        return modulate(norm.forward(x), shift, scale);
    }

    /** Whether modulatedNorm is the one op: an affine-free norm over the last dim of tokens [B, L, D]. */
    static boolean fusedNorm(LayerNorm norm, Tensor x) {
        return norm.weight() == null && norm.bias() == null && norm.normalizedShape().length == 1 && x.rank() == 3;
    }
}
