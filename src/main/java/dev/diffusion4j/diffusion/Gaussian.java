package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/** A diagonal Gaussian N(mean, variance); variance and logVariance broadcast against mean ([N, 1, ..., 1], or 0-d when the batch shares one timestep). */
public record Gaussian(Tensor mean, Tensor variance, Tensor logVariance) {}
