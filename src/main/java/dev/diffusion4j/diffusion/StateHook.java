package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Rewrites a sampler's state after each step, for edits that cannot be a wrapped {@link Denoiser} because they change
 * the state itself (inpainting's known-region replacement). {@code x} is on the variance-preserving scale at noise
 * level {@code alphaBar} (1 after the last step: the sample); the result is the state the sampler continues from.
 */
@FunctionalInterface
public interface StateHook {
    Tensor apply(Tensor x, double alphaBar, Generator gen);
}
