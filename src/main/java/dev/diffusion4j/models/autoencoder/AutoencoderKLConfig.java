package dev.diffusion4j.models.autoencoder;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.diffusion4j.engine.Generator;
import java.util.List;

/**
 * Hyper-parameters of {@link AutoencoderKL}, under the keys diffusers writes to an AutoencoderKL's config.json, with
 * diffusers' defaults for keys a file leaves out; JSON null where diffusers writes it (shift_factor, latents_mean,
 * latents_std) reads as "none", and an unset shift factor is left out when writing, so the record also goes through
 * our own configs. {@link DiffusersConfigs} reads and writes diffusers' config.json (with its bookkeeping keys).
 *
 * @param shiftFactor  the latent shift (SD3, Flux); NaN when the configuration has none (null in diffusers)
 * @param latentsMean  per-channel latent means (SDXL-style normalisation); empty when none (null in diffusers)
 * @param latentsStd   per-channel latent standard deviations; empty when none
 * @param forceUpcast  diffusers runs such a VAE in f32 even in half-precision pipelines; kept for the round trip
 */
public record AutoencoderKLConfig(
        @JsonProperty(defaultValue = "3") int inChannels,
        @JsonProperty(defaultValue = "3") int outChannels,
        @JsonProperty(defaultValue = "[\"DownEncoderBlock2D\"]") List<String> downBlockTypes,
        @JsonProperty(defaultValue = "[\"UpDecoderBlock2D\"]") List<String> upBlockTypes,
        @JsonProperty(defaultValue = "[64]") List<Integer> blockOutChannels,
        @JsonProperty(defaultValue = "1") int layersPerBlock,
        @JsonProperty(defaultValue = "silu") String actFn,
        @JsonProperty(defaultValue = "4") int latentChannels,
        @JsonProperty(defaultValue = "32") int normNumGroups,
        @JsonProperty(defaultValue = "32") int sampleSize,
        @JsonProperty(defaultValue = "0.18215") double scalingFactor,
        @JsonProperty(defaultValue = "null") @JsonSetter(nulls = Nulls.SET)
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = NanAsNull.Unset.class)
        @JsonDeserialize(using = NanAsNull.Deserializer.class) double shiftFactor,
        @JsonProperty(defaultValue = "[]") @JsonSetter(nulls = Nulls.AS_EMPTY) List<Double> latentsMean,
        @JsonProperty(defaultValue = "[]") @JsonSetter(nulls = Nulls.AS_EMPTY) List<Double> latentsStd,
        @JsonProperty(defaultValue = "true") boolean forceUpcast,
        @JsonProperty(defaultValue = "true") boolean useQuantConv,
        @JsonProperty(defaultValue = "true") boolean usePostQuantConv,
        @JsonProperty(defaultValue = "true") boolean midBlockAddAttention) implements AutoencoderConfig {

    public AutoencoderKLConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        latentsMean = List.copyOf(latentsMean);
        latentsStd = List.copyOf(latentsStd);
        AutoencoderShape.check(inChannels, outChannels, downBlockTypes, upBlockTypes, blockOutChannels, layersPerBlock, actFn,
                latentChannels, normNumGroups);
        if (!latentsMean.isEmpty() && latentsMean.size() != latentChannels || !latentsStd.isEmpty() && latentsStd.size() != latentChannels)
            throw new IllegalArgumentException("latents_mean and latents_std need one value per latent channel (" + latentChannels + ")");
    }

    /** A KL autoencoder of the standard layout: DownEncoderBlock2D / UpDecoderBlock2D per level, mid attention, both 1x1 convs. */
    public static AutoencoderKLConfig of(int imageChannels, List<Integer> blockOutChannels, int layersPerBlock, int latentChannels,
                                         int normGroups, int sampleSize, double scalingFactor) {
        int n = blockOutChannels.size();
        return new AutoencoderKLConfig(imageChannels, imageChannels, java.util.Collections.nCopies(n, AutoencoderShape.DOWN_BLOCK),
                java.util.Collections.nCopies(n, AutoencoderShape.UP_BLOCK), blockOutChannels, layersPerBlock, "silu", latentChannels,
                normGroups, sampleSize, scalingFactor, Double.NaN, List.of(), List.of(), true, true, true, true);
    }

    /** The spatial downsampling factor: 2 per level but the last. */
    public int downsampleFactor() { return 1 << (blockOutChannels.size() - 1); }

    public boolean hasShiftFactor() { return !Double.isNaN(shiftFactor); }

    @Override public AutoencoderKL build(Generator gen) { return new AutoencoderKL(this, gen); }

    @Override public String className() { return "AutoencoderKL"; }

    /**
     * Parameters the built model holds, counted from the configuration alone (a preset's size without building it):
     * both halves, plus the 1x1 convs between them.
     */
    @Override public long parameterCount() {
        long n = AutoencoderShape.encoderParams(inChannels, 2 * latentChannels, blockOutChannels, layersPerBlock, midBlockAddAttention)
                + AutoencoderShape.decoderParams(latentChannels, outChannels, blockOutChannels, layersPerBlock, midBlockAddAttention);
        long z = 2L * latentChannels;
        if (useQuantConv) n += z * z + z;
        if (usePostQuantConv) n += (long) latentChannels * latentChannels + latentChannels;
        return n;
    }
}
