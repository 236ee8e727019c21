package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Tensor;
import java.util.List;

/** Prompts to the context a denoiser's cross-attention reads. */
public interface TextEncoder {
    /** Hidden states [N, maxLength(), contextDim()] of N prompts, on the encoder's device (autograd-recorded when training). */
    Tensor encode(List<String> prompts);

    /** Width D of each context vector (the cross-attention's context dim). */
    int contextDim();

    /** Tokens per prompt L: prompts are cut or padded to it. */
    int maxLength();
}
