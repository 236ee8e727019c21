package dev.diffusion4j.models;

import dev.diffusion4j.io.ConfigJson;
import java.util.Map;

/**
 * Shape of the noisy-image classifier of classifier guidance: the encoder half of a U-Net of configuration
 * {@code encoder} (its input channels, resolution, widths, blocks and attention; its class, sigma and low-resolution
 * settings unused) and a head over {@code numClasses}.
 */
public record NoisyClassifierConfig(ModelConfig encoder, int numClasses) {
    // typed ModelConfig so config.json's "arch" key binds as in a run's "model" section; only a U-Net has an encoder half
    public NoisyClassifierConfig {
        if (numClasses < 2) throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + numClasses);
        if (!(encoder instanceof UNetConfig u)) throw new IllegalArgumentException("the noisy classifier is a U-Net encoder, not a " + encoder.arch());
        encoder = u.withClasses(0).withLearnSigma(false).withLowResChannels(0);
    }

    /** The U-Net whose encoder half the classifier is. */
    public UNetConfig unet() { return (UNetConfig) encoder; }

    public int inChannels() { return encoder.inChannels(); }
    public int resolution() { return encoder.resolution(); }

    public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    public static NoisyClassifierConfig fromJson(Map<String, ?> m) { return ConfigJson.bind(m, NoisyClassifierConfig.class, "classifier config"); }
}
