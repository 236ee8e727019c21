package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/**
 * The reverse step p(x_{t-1} | x_t) a model output implies: mean, variance and log variance (broadcastable to x_t),
 * with the x_0 and eps estimates it came from (x_0 after any thresholding; eps consistent with that x_0).
 */
public record Prediction(Tensor mean, Tensor variance, Tensor logVariance, Tensor predX0, Tensor predEps) {}
