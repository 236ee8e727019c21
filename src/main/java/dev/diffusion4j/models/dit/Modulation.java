package dev.diffusion4j.models.dit;

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

    /** One adaLN-Zero branch: x + gate * branch(modulate(norm(x), shift, scale)), gate [B, D] broadcast over the tokens. */
    static Tensor gatedResidual(Tensor x, LayerNorm norm, Tensor shift, Tensor scale, Tensor gate, UnaryOperator<Tensor> branch) {
        return x.add(gate.unsqueeze(1).mul(branch.apply(modulate(norm.forward(x), shift, scale))));
    }
}
