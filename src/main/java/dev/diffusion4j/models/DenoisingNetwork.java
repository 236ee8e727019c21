package dev.diffusion4j.models;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;

/** A network that predicts from noisy images, timesteps and optional class labels: the U-Net or the DiT. */
public abstract class DenoisingNetwork extends Module {
    /**
     * The model output for noisy images x [N, C, H, W] at timesteps t [N] (integer or fractional); labels [N] (i64)
     * for class-conditional models, null otherwise (a conditional model then uses its "no class" label).
     * Returns [N, outChannels, H, W].
     */
    public abstract Tensor forward(Tensor x, Tensor t, Tensor labels);

    public abstract ModelConfig config();
}
