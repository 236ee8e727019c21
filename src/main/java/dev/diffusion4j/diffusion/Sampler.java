package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * Draws samples with a denoiser. Every sampler starts from unit Gaussian noise x_T (variance-preserving scale) and
 * takes all its random draws from the given {@link Generator}, so a seed reproduces a run.
 * <pre>{@code
 * Sampler s = new DdimSampler(diffusion.respaced("ddim50"), 0.0);
 * Tensor images = s.sample(model, new int[] {16, 3, 32, 32}, new Generator(0), StepCallback.none());
 * }</pre>
 */
public interface Sampler {
    /** Runs from {@code noise} (x_T, unit variance) to samples; {@code cond} may be null. Runs without autograd. */
    default Tensor sample(Denoiser model, Tensor noise, Conditioning cond, Generator gen, StepCallback callback) {
        return sampleFrom(model, noise, 0, cond, gen, callback, null);
    }

    /** Number of reverse steps. */
    int steps();

    /**
     * Runs steps {@code startStep} .. steps()-1 from {@code x}, a state at noise level {@link #startAlphaBar}(startStep)
     * on the variance-preserving scale (SDEdit starts part-way; startStep 0 from noise is {@link #sample}). After every
     * step {@code hook} (may be null) may rewrite the state. startStep = steps() returns x unchanged. Runs without autograd.
     */
    Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook);

    /** alpha_bar of the state step {@code step} starts from (step = steps(): 1, the finished sample). */
    double startAlphaBar(int step);

    /** Samples of {@code shape} in f32 on the CPU, unconditional. */
    default Tensor sample(Denoiser model, int[] shape, Generator gen, StepCallback callback) {
        return sample(model, shape, DType.F32, Device.CPU, null, gen, callback);
    }

    default Tensor sample(Denoiser model, int[] shape, DType dtype, Device device, Conditioning cond, Generator gen, StepCallback callback) {
        try (var g = GradMode.off()) {
            return sample(model, Tensor.randn(gen, dtype, device, shape), cond, gen, callback);
        }
    }
}
