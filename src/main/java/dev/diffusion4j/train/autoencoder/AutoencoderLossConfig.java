package dev.diffusion4j.train.autoencoder;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * The autoencoder objective (LDM's LPIPSWithDiscriminator, taming's VQ loss for codebook models): a pixel
 * reconstruction distance, the regulariser's weight, an optional PatchGAN from {@code discStart} and an optional
 * perceptual (LPIPS) term when the user supplies its weights.
 *
 * @param distance     l1 or l2, per pixel
 * @param klWeight     weight of the KL term (KL models; LDM uses 1e-6)
 * @param codebookWeight weight of the codebook + commitment loss (VQ models; taming uses 1)
 * @param logvarInit   initial value of the learned log-variance scalar (KL models: nll = rec / exp(logvar) + logvar)
 * @param discStart    step from which the discriminator trains and the generator loss counts (-1 = never)
 * @param discWeight   scale of the adaptive generator weight
 * @param discLayers   stride-2 layers of the PatchGAN (3 in taming)
 * @param discWidth    channels of its first layer (64 in taming)
 * @param codebookEma  VQ models: decay of EMA codebook updates, which then replace the codebook loss term (0 = off)
 * @param deadCodeRestart VQ models: re-initialise codes unused for this many steps from current latents (0 = off)
 * @param perceptual  the LPIPS term ({@link PerceptualLossConfig#OFF} unless weights are given)
 */
public record AutoencoderLossConfig(@JsonProperty(defaultValue = "l1") String distance,
                                    @JsonProperty(defaultValue = "1e-6") double klWeight,
                                    @JsonProperty(defaultValue = "1.0") double codebookWeight,
                                    @JsonProperty(defaultValue = "0.0") double logvarInit,
                                    @JsonProperty(defaultValue = "-1") long discStart,
                                    @JsonProperty(defaultValue = "0.5") double discWeight,
                                    @JsonProperty(defaultValue = "3") int discLayers,
                                    @JsonProperty(defaultValue = "64") int discWidth,
                                    @JsonProperty(defaultValue = "0") double codebookEma,
                                    @JsonProperty(defaultValue = "0") int deadCodeRestart,
                                    @JsonProperty(defaultValue = PerceptualLossConfig.OFF_JSON) PerceptualLossConfig perceptual) {
    public AutoencoderLossConfig {
        distance = distance.toLowerCase(Locale.ROOT);
        if (!distance.equals("l1") && !distance.equals("l2")) throw new IllegalArgumentException("reconstruction distance must be l1 or l2, got '" + distance + "'");
        if (!(klWeight >= 0) || !(codebookWeight >= 0) || !(discWeight >= 0))
            throw new IllegalArgumentException("loss weights must be >= 0");
        if (!Double.isFinite(logvarInit)) throw new IllegalArgumentException("logvar_init must be finite");
        if (discStart < -1) throw new IllegalArgumentException("disc_start must be a step >= 0, or -1 for no discriminator");
        if (discLayers < 1 || discWidth < 1) throw new IllegalArgumentException("discriminator layers and width must be >= 1");
        if (!(codebookEma >= 0 && codebookEma < 1)) throw new IllegalArgumentException("codebook_ema must be in [0, 1), got " + codebookEma);
        if (deadCodeRestart < 0) throw new IllegalArgumentException("dead_code_restart must be >= 0, got " + deadCodeRestart);
    }

    public boolean usesDiscriminator() { return discStart >= 0; }

    /** Without the perceptual term. */
    public AutoencoderLossConfig(String distance, double klWeight, double codebookWeight, double logvarInit, long discStart, double discWeight,
                                 int discLayers, int discWidth, double codebookEma, int deadCodeRestart) {
        this(distance, klWeight, codebookWeight, logvarInit, discStart, discWeight, discLayers, discWidth, codebookEma, deadCodeRestart,
                PerceptualLossConfig.OFF);
    }
}
