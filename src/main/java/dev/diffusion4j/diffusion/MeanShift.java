package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/**
 * An offset added to the mean of each ancestral step p(x_{t-1} | x_t) (classifier guidance: s Sigma grad log p(y | x_t)).
 * {@code t} holds the model's training timesteps, {@code p} the unshifted step; returns a tensor broadcastable to x_t.
 */
@FunctionalInterface
public interface MeanShift {
    Tensor apply(Tensor xt, Tensor t, Prediction p, Conditioning cond);
}
