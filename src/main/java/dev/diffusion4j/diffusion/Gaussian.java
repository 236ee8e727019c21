package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/** A diagonal Gaussian N(mean, variance); variance and logVariance broadcast against mean (often [N, 1, ..., 1]). */
public record Gaussian(Tensor mean, Tensor variance, Tensor logVariance) {}
