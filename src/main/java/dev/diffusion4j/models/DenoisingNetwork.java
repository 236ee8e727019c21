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

    /**
     * As {@link #forward(Tensor, Tensor, Tensor)} with a context [N, L, D] to cross-attend to (a text encoder's hidden
     * states); null for none. Networks without cross-attention refuse a context.
     */
    public Tensor forwardWithContext(Tensor x, Tensor t, Tensor labels, Tensor context) {
        if (context != null) throw new IllegalArgumentException(getClass().getSimpleName() + " has no cross-attention; it cannot take a text context");
        return forward(x, t, labels);
    }

    public abstract ModelConfig config();
}
