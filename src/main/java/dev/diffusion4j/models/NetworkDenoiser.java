package dev.diffusion4j.models;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.engine.Tensor;

/** Lets the diffusion code call a U-Net or a DiT: the class label, if any, travels in the conditioning under "label". */
public record NetworkDenoiser(DenoisingNetwork model) implements Denoiser {
    public static final String LABEL = "label";

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        return model.forward(xt, t, cond == null ? null : cond.get(LABEL));
    }
}
