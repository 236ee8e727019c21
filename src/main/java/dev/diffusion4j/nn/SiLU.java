package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;

/** x * sigmoid(x). */
public final class SiLU extends Module {
    @Override public Tensor forward(Tensor x) { return F.silu(x); }
}
