package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * How training picks timesteps: a draw of t for each batch element with importance weights 1/(T p(t)) that keep the
 * weighted loss an unbiased estimate of the uniform-t objective.
 */
public interface TimestepSampler {
    /** Timesteps [N] and their importance weights [N]. */
    record Draw(long[] t, double[] weights) {
        /** t on device, its values known on the host (GaussianDiffusion#timesteps(long[], Device)). */
        public Tensor timesteps(Device device) { return GaussianDiffusion.timesteps(t, device); }
        public Tensor weights(DType dtype, Device device) { return Tensor.of(weights, weights.length).to(dtype).to(device); }

        /** Whether every importance weight is 1 (a uniform draw). */
        public boolean unitWeights() {
            for (double w : weights) if (w != 1) return false;
            return true;
        }
    }

    Draw sample(int batch, Generator gen);

    /** T: the sampler draws t from 0 .. T-1, so it must match the diffusion it trains (see GaussianDiffusion#trainingLoss). */
    int steps();

    /** Per-sample losses observed at timesteps t (loss-aware samplers learn from them; others ignore them). */
    default void update(long[] t, double[] losses) {}

    /** Whether {@link #update} uses the losses; when not, callers skip reading them back (a device sync on GPUs). */
    default boolean learnsFromLosses() { return false; }

    static TimestepSampler uniform(int steps) { return new UniformTimestepSampler(steps); }

    static LossSecondMomentSampler lossSecondMoment(int steps) { return new LossSecondMomentSampler(steps); }
}
