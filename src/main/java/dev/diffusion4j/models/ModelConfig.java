package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.diffusion4j.io.ConfigJson;
import java.util.Map;

/**
 * The hyper-parameters of a denoising network of either family (U-Net or DiT): what the trainer, samplers and CLI
 * need to know about a model without caring which one it is, and how to build it. Written to config.json with an
 * "arch" key ("unet" or "dit"); configs written before DiT existed have none and mean a U-Net. A diffusers U-Net
 * ({@link UNet2DConfig}) is the third kind: it is read from diffusers' own config.json, never from a run's.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "arch", defaultImpl = UNetConfig.class)
@JsonSubTypes({@JsonSubTypes.Type(value = UNetConfig.class, name = UNetConfig.ARCH), @JsonSubTypes.Type(value = DiTConfig.class, name = DiTConfig.ARCH)})
public sealed interface ModelConfig permits UNetConfig, DiTConfig, UNet2DConfig {
    /** Image (or latent) channels of the input. */
    int inChannels();

    /** Square input size the model is built for. */
    int resolution();

    /**
     * Class-conditional when > 0; label numClasses is then the "no class" of classifier-free guidance (a diffusers U-Net
     * has that label only where {@link UNet2DConfig#nullClass()} says so).
     */
    int numClasses();

    /** Doubled output channels: the prediction, then the learned-range variance values. */
    boolean learnSigma();

    default int outChannels() { return learnSigma() ? 2 * inChannels() : inChannels(); }

    /** Text-conditioned when > 0: the width of the context [N, L, contextDim] the network cross-attends to. */
    int contextDim();

    /** "unet" or "dit": the family, as written to config.json. */
    String arch();

    ModelConfig withLearnSigma(boolean v);

    ModelConfig withClasses(int n);

    ModelConfig withInput(int channels, int res);

    /** This network with cross-attention to a context of width d (0: none). */
    ModelConfig withContextDim(int d);

    /** A freshly initialised network of this configuration, drawing its initial weights from gen. */
    DenoisingNetwork build(Generator gen);

    /** This configuration as config.json's "model" section, with its "arch". */
    default Map<String, Object> toJson() { return ConfigJson.toMap((Record) this); }

    /** Binds a parsed "model" section strictly; a section without "arch" (written before DiT existed) is a U-Net. */
    static ModelConfig fromJson(Map<String, Object> m) { return ConfigJson.bind(m, ModelConfig.class, "model config"); }
}
