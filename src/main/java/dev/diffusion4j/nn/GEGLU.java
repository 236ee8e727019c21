package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Gated GELU (Shazeer 2020): one projection to twice the width, split into a value half and a gate half, value * gelu(gate).
 * The projection is the child "proj", as in diffusers' GEGLU, so the transformer's ff.net.0.proj keys map over.
 */
public final class GEGLU extends Module {
    private final Linear proj;
    private final int outFeatures;

    public GEGLU(int inFeatures, int outFeatures, Generator gen) {
        this.outFeatures = outFeatures;
        this.proj = registerModule("proj", new Linear(inFeatures, 2 * outFeatures, gen));
    }

    /** [..., in] -> [..., out]. */
    @Override public Tensor forward(Tensor x) {
        Tensor h = proj.forward(x);
        int last = h.rank() - 1;
        return h.slice(last, 0, outFeatures).mul(F.gelu(h.slice(last, outFeatures, 2 * outFeatures)));
    }

    public Linear proj() { return proj; }
}
