package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/**
 * Called after every sampler step, e.g. for a progress bar or a denoising strip.
 * {@code x} is the current sample on the variance-preserving scale (what the model sees), {@code predX0} the x_0
 * estimate the step used, {@code t} the training timestep the model was called at.
 */
@FunctionalInterface
public interface StepCallback {
    record Step(int index, int total, double t, Tensor x, Tensor predX0) {}

    void onStep(Step step);

    static StepCallback none() { return s -> {}; }
}
