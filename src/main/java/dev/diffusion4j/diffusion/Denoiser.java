package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/**
 * A diffusion model: maps a noisy batch x_t [N, ...] at timesteps t [N] to its prediction (eps, x_0 or v, see
 * {@link Parameterization}; with a learned variance the channel dim 1 is doubled: prediction first, variance values second).
 * An integer t refers to the schedule's tables; a floating t to the continuous schedule
 * {@link NoiseSchedule#alphaBarAt(double)} (log sigma interpolated between steps).
 *
 * <p>t is in units of the training schedule's steps, 0 .. T-1: an i64 tensor from the discrete samplers and from
 * training, a floating tensor (the dtype of x_t) when a sigma-grid sampler calls at a continuous timestep.
 * {@code cond} is null for unconditional models.
 */
@FunctionalInterface
public interface Denoiser {
    Tensor apply(Tensor xt, Tensor t, Conditioning cond);
}
