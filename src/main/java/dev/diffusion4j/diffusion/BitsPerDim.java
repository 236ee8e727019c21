package dev.diffusion4j.diffusion;

/**
 * The variational bound of one batch in bits/dim, per sample n: {@code total[n] = prior[n] + sum_i vb[n][i]}, where
 * {@code vb[n][0]} is the decoder NLL -log p(x_0|x_1) (also in {@code decoder[n]}) and {@code vb[n][i]} for i > 0 is
 * KL(q(x_i | x_{i+1}, x_0) || p(x_i | x_{i+1})) in the library's 0-based indices.
 */
public record BitsPerDim(double[] total, double[] prior, double[] decoder, double[][] vb) {}
