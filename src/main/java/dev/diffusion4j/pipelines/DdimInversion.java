package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdimSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * DDIM inversion as an editing pipeline: {@link #invert} encodes images deterministically into the x_T the DDIM ODE
 * (eta = 0) maps them from, {@link #reconstruct} runs the same ODE back down. With fixed-point iterations each
 * inversion step is solved as the exact inverse of the sampling step, so reconstruct(invert(x)) returns x up to the
 * iterations' convergence; with none it is classic inversion (first-order error in the step size). Reconstructing
 * with another conditioning than the inversion's (another class) is inversion-based editing. No thresholding in
 * either direction: clipping x_0 would make the map not invertible.
 * <pre>{@code
 * DdimInversion inv = new DdimInversion(diffusion.respaced("ddim50"), 3);
 * Tensor xT = inv.invert(model, images, cond, null);
 * Tensor back = inv.reconstruct(model, xT, cond, null);
 * }</pre>
 */
public final class DdimInversion {
    private final DdimSampler ddim;
    private final int iterations;

    /** @param diffusion the (respaced) diffusion whose steps the ODE takes; @param iterations fixed-point refinements per step (0: classic) */
    public DdimInversion(GaussianDiffusion diffusion, int iterations) {
        this.ddim = new DdimSampler(diffusion, 0).withInversionIterations(iterations);
        this.iterations = iterations;
    }

    public int steps() { return ddim.steps(); }

    /** Model calls of one inversion: one per step plus one per step and iteration. */
    public long inversionCalls() { return (long) steps() * (1 + iterations); }

    /** x_0 [N, ...] to x_T; the callback sees every step. */
    public Tensor invert(Denoiser model, Tensor x0, Conditioning cond, StepCallback callback) {
        return ddim.invert(model, x0, cond, callback);
    }

    /** x_T back to x_0 by deterministic DDIM sampling. */
    public Tensor reconstruct(Denoiser model, Tensor xT, Conditioning cond, StepCallback callback) {
        return ddim.sample(model, xT, cond, new Generator(0), callback);   // eta = 0 draws nothing
    }
}
