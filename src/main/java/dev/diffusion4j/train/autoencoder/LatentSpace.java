package dev.diffusion4j.train.autoencoder;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a diffusion run's model lives: pixel space (the default, autoencoder "-") or the latent space of a trained
 * autoencoder, recorded in the run's config.json so sampling decodes and a resume can check the autoencoder is unchanged.
 *
 * @param autoencoder   the train-autoencoder run folder, as given
 * @param weightsSha256 SHA-256 of the EMA weights the latents were encoded with
 * @param scale         the factor latents are multiplied by before diffusion (scaling_factor, or 1/std of the latents)
 * @param imageSize     the side of the pixel images
 */
public record LatentSpace(@JsonProperty(defaultValue = NONE) String autoencoder, @JsonProperty(defaultValue = NONE) String weightsSha256,
                          @JsonProperty(defaultValue = "1.0") double scale, @JsonProperty(defaultValue = "0") int imageSize) {
    /** The autoencoder of a pixel-space run (an empty default would read as a required key). */
    public static final String NONE = "-";
    public static final LatentSpace PIXELS = new LatentSpace(NONE, NONE, 1.0, 0);

    public LatentSpace {
        if (!(scale > 0) || !Double.isFinite(scale)) throw new IllegalArgumentException("latent scale must be a positive number, got " + scale);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isLatent() { return !autoencoder.equals(NONE); }
}
