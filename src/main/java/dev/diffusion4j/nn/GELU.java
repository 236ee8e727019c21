package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;

/** GELU, exact (erf) by default or with the tanh approximation DiT uses in its MLPs. */
public final class GELU extends Module {
    private final boolean tanh;

    public GELU() { this(false); }
    public GELU(boolean tanhApproximation) { this.tanh = tanhApproximation; }

    @Override public Tensor forward(Tensor x) { return tanh ? F.geluTanh(x) : F.gelu(x); }

    @Override protected String extraRepr() { return tanh ? "approximate='tanh'" : "approximate='none'"; }
}
