package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import java.util.Map;

/**
 * The hyper-parameters of a denoising network of either family (U-Net or DiT): what the trainer, samplers and CLI
 * need to know about a model without caring which one it is, and how to build it. Written to config.json with an
 * "arch" key ("unet" or "dit"); configs written before DiT existed have none and mean a U-Net.
 */
public sealed interface ModelConfig permits UNetConfig, DiTConfig {
    /** Image (or latent) channels of the input. */
    int inChannels();

    /** Square input size the model is built for. */
    int resolution();

    /** Class-conditional when > 0; label numClasses is then the "no class" of classifier-free guidance. */
    int numClasses();

    /** Doubled output channels: the prediction, then the learned-range variance values. */
    boolean learnSigma();

    default int outChannels() { return learnSigma() ? 2 * inChannels() : inChannels(); }

    /** "unet" or "dit": the family, as written to config.json. */
    String arch();

    ModelConfig withLearnSigma(boolean v);

    ModelConfig withClasses(int n);

    ModelConfig withInput(int channels, int res);

    /** A freshly initialised network of this configuration, drawing its initial weights from gen. */
    DenoisingNetwork build(Generator gen);

    Map<String, Object> toJson();

    static ModelConfig fromJson(Map<String, Object> m) {
        Object arch = m.getOrDefault("arch", UNetConfig.ARCH);
        if (UNetConfig.ARCH.equals(arch)) return UNetConfig.fromJson(m);
        if (DiTConfig.ARCH.equals(arch)) return DiTConfig.fromJson(m);
        throw new IllegalArgumentException("model config: unknown arch '" + arch + "' (expected " + UNetConfig.ARCH + " or " + DiTConfig.ARCH + ")");
    }
}
