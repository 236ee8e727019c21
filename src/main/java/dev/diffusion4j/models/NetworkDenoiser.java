package dev.diffusion4j.models;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GraphedDenoiser;
import dev.diffusion4j.engine.Tensor;

/**
 * Lets the diffusion code call a U-Net or a DiT: the class label, if any, travels in the conditioning under "label", a
 * text context [N, L, D] under "context".
 */
public record NetworkDenoiser(DenoisingNetwork model) implements Denoiser {
    public static final String LABEL = "label";
    public static final String CONTEXT = "context";

    /** The network's denoiser replayed from CUDA graphs, as the sampling paths call it (close it when sampling ends). */
    public static GraphedDenoiser graphed(DenoisingNetwork model) { return new GraphedDenoiser(new NetworkDenoiser(model)); }

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        Tensor context = cond == null ? null : cond.get(CONTEXT);
        if (context != null) return model.forwardWithContext(xt, t, cond.get(LABEL), context);
        return model.forward(xt, t, cond == null ? null : cond.get(LABEL));
    }
}
