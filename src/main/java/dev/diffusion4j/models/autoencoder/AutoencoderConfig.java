package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;

/** The configuration of either autoencoder family: what presets and folders hold, and how to build the model. */
public sealed interface AutoencoderConfig permits AutoencoderKLConfig, VQModelConfig {
    /** A freshly initialised model drawing its weights from gen. */
    Autoencoder build(Generator gen);

    /** Scalars the built model holds, from the configuration alone. */
    long parameterCount();

    /** The image side the model was configured for (diffusers' sample_size). */
    int sampleSize();

    /** diffusers' class name: AutoencoderKL or VQModel. */
    String className();
}
