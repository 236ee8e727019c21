package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Tensor;

/** adaLN's per-sample affine map of tokens: x [B, L, D] * (1 + scale [B, D]) + shift [B, D]. */
final class Modulation {
    private Modulation() {}

    static Tensor modulate(Tensor x, Tensor shift, Tensor scale) {
        return x.mul(scale.add(1).unsqueeze(1)).add(shift.unsqueeze(1));
    }
}
