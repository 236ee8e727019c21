package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/**
 * Per-sample training losses, each of shape [N]: {@code loss} (what to minimise, before timestep-sampler weights),
 * {@code simple} (weighted L_simple, null under the VLB objective) and {@code vb} (L_t in bits/dim, null under SIMPLE).
 */
public record LossTerms(Tensor loss, Tensor simple, Tensor vb) {}
